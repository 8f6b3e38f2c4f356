"""Every exception the recommender package raises."""


class NotFittedError(RuntimeError):
    """A model was queried before ``fit`` was called."""

    def __init__(self, model: object) -> None:
        super().__init__(f"{type(model).__name__} is not fitted yet: call fit() first")


class UnknownItemError(KeyError):
    """An item index or id is not part of the fitted model."""
