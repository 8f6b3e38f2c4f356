"""Merchant business rules: definitions, conditions over catalog columns, and the re-ranker.

Pure numpy: the API stores rules and catalog updates and hands them here as plain values.
"""
from .audiences import known_audiences, register_audiences
from .conditions import OP_WORDS, OPS, compile_condition, parse_condition
from .definitions import (
    ACTIONS,
    DEFAULT_PLACEMENT,
    PLACEMENT_PATTERN,
    PlacementSettings,
    Rule,
    STRATEGIES,
    RuleBook,
    check_placement_name,
    parse_rule,
    parse_settings,
    rule_problems,
)
from .items import CANONICAL_KINDS, ItemTable, check_attributes
from .reranker import RuleReranker

__all__ = [
    "ACTIONS", "CANONICAL_KINDS", "DEFAULT_PLACEMENT", "OP_WORDS", "OPS", "PLACEMENT_PATTERN", "STRATEGIES",
    "ItemTable", "PlacementSettings", "Rule", "RuleBook", "RuleReranker", "check_attributes",
    "check_placement_name", "compile_condition", "known_audiences", "parse_condition", "parse_rule",
    "parse_settings", "register_audiences", "rule_problems",
]
