"""The ``vitrine`` command line: one entry point dispatching to each role.

Each role's commands live in their own module and import their role only when run, so
``vitrine serve`` never loads the training job and ``vitrine train`` never loads Flask.
"""
from .main import main

__all__ = ["main"]
