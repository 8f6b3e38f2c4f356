"""The published model inside a worker: the loaded version (``model_store``), item cards (``cards``),
answers as JSON (``answers``) and the offline bulk export that reads the same version (``export``)."""
