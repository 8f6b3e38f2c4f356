"""Every exception the recommender package raises."""


class NotFittedError(RuntimeError):
    """A model was queried before ``fit`` was called."""

    def __init__(self, model: object) -> None:
        super().__init__(f"{type(model).__name__} is not fitted yet: call fit() first")


class UnknownItemError(KeyError):
    """An item index or id is not part of the fitted model."""


class FieldError(ValueError):
    """A rule, placement setting or catalog value that is not valid; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
