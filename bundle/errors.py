"""What can go wrong with a model bundle."""


class ArtifactError(RuntimeError):
    """A model folder is missing files or is inconsistent; it must not be served."""


class ModelStoreError(RuntimeError):
    """The models folder is inconsistent, or a publish was refused."""
