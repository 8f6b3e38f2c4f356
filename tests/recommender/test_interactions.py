import numpy as np
import pytest

from recommender.interactions import EventWeights, InteractionConfig, confidence_matrix, decay_factor

VIEW, CART, PURCHASE = 0, 1, 2


def test_decay_halves_every_half_life():
    assert decay_factor(np.array([0.0, 30.0, 60.0]), 30.0) == pytest.approx([1.0, 0.5, 0.25])
    assert decay_factor(np.array([-5.0]), 30.0) == pytest.approx([1.0])
    assert decay_factor(np.array([400.0]), None) == pytest.approx([1.0])


def test_weights_quantity_cap_and_sum_per_pair():
    config = InteractionConfig(EventWeights(view=1, cart=4, purchase=10), quantity_cap=3, half_life_days=None, log_scale=False)
    matrix = confidence_matrix(
        user_idx=np.array([0, 0, 0, 1]),
        item_idx=np.array([0, 0, 1, 1]),
        event_codes=np.array([VIEW, PURCHASE, CART, PURCHASE]),
        quantity=np.array([7.0, 50.0, 9.0, np.nan]),
        age_days=np.zeros(4),
        shape=(2, 2),
        config=config,
    )
    # view counts 1 whatever its quantity; the purchase of 50 is capped at 3; a missing quantity is 1
    assert matrix.toarray() == pytest.approx(np.array([[1 + 30, 4], [0, 10]]))
    assert matrix.dtype == np.float32


def test_recent_events_weigh_more_and_log_scale_compresses():
    config = InteractionConfig(EventWeights(purchase=12), quantity_cap=1, half_life_days=10, log_scale=True)
    matrix = confidence_matrix(np.array([0, 0]), np.array([0, 1]), np.array([PURCHASE, PURCHASE]),
                               np.ones(2), np.array([0.0, 10.0]), (1, 2), config)
    assert matrix[0, 0] == pytest.approx(np.log1p(12.0))
    assert matrix[0, 1] == pytest.approx(np.log1p(6.0))


def test_misaligned_inputs_are_rejected():
    with pytest.raises(ValueError, match="equal length"):
        confidence_matrix(np.array([0]), np.array([0, 1]), np.array([0]), np.ones(1), np.zeros(1), (1, 2))
