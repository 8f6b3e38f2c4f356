"""The serving request path: history lookup → candidates → scoring → re-ranking → fallback.

``RecommendationEngine`` (``engine``) composes the stages, each a module with one job:
``history`` (stored rows, live sessions), ``candidates`` (item-based and popular candidates),
``scoring`` (blended batches), ``fallback`` (re-ranking that always fills the list), ``reasons``
(why each pick is there). ``request`` holds the types that flow between them and ``model`` what
the engine reads.
"""
from .engine import ANN_CANDIDATES, BATCH_USERS, OVERFETCH, RecommendationEngine
from .model import ApproximateALS, ServingModel
from .request import (Answer, Candidates, KeepAll, Pick, PlacementPolicy, PurchaseRule, RequestContext, Reranker,
                      SessionEvent)

__all__ = ["ANN_CANDIDATES", "BATCH_USERS", "OVERFETCH", "RecommendationEngine", "ApproximateALS", "ServingModel",
           "Answer", "Candidates", "KeepAll", "Pick", "PlacementPolicy", "PurchaseRule", "RequestContext", "Reranker",
           "SessionEvent"]
