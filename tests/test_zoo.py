import numpy as np
import pytest

from toymodels import zoo
from toymodels.errors import InvalidInputError, UnknownNameError

EXPECTED = {"quadratic", "two_layer_scalar", "deep_scalar", "linear_regression", "linear_net",
            "rosenbrock", "rosenbrock_valley", "arora_valley", "zhu_minimal", "chen_bruna",
            "double_well", "lcosh_xy", "saddle"}


def test_catalog_has_every_entry_with_metadata():
    assert EXPECTED <= set(zoo.names())
    for name in zoo.names():
        m = zoo.get(name)
        assert m.name == name and m.formula and m.source, name


def test_unknown_name_lists_valid_names():
    with pytest.raises(UnknownNameError, match="valid names: .*two_layer_scalar"):
        zoo.get("two_layer")


def test_unknown_parameter_lists_valid_parameters():
    with pytest.raises(UnknownNameError, match=r"no parameter depht; valid parameters .*depth=3"):
        zoo.get("deep_scalar", depht=4)


@pytest.mark.parametrize("name, params", [("deep_scalar", {"depth": 0}), ("chen_bruna", {"mu": -1}),
                                          ("linear_net", {"depth": 1}), ("two_layer_scalar", {"y": 0}),
                                          ("quadratic", {"eigenvalues": ()}),
                                          ("quadratic", {"eigenvalues": (1, 2), "center": (1,)}),
                                          ("linear_regression", {"noise": -1})])
def test_invalid_parameters_are_explained(name, params):
    with pytest.raises(InvalidInputError):
        zoo.get(name, **params)


def test_datasets_are_deterministic():
    a = zoo.get("linear_net", seed=3).data
    b = zoo.get("linear_net", seed=3).data
    c = zoo.get("linear_net", seed=4).data
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_quadratic_rotation_is_exactly_orthogonal_with_the_requested_spectrum():
    m = zoo.get("quadratic", eigenvalues=(3, 1, 0.5, -2), rotation_seed=2)
    eig = np.linalg.eigvalsh(np.array(m.hess, dtype=float))
    assert np.allclose(np.sort(eig), [-2, 0.5, 1, 3], atol=1e-13)
    assert m.min_loss is None and m.manifold is None  # unbounded below
