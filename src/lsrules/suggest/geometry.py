"""Box anomaly: how unusual is a box's size, shape and position for its label?

Per label, a running mean and covariance (Welford's online update, O(1) per box) of four
features: log width, log height (their difference is the aspect ratio, their sum the
area) and the centre's x and y. A box's squared Mahalanobis distance follows roughly a
chi-squared law with 4 degrees of freedom, whose CDF has the closed form
1 - exp(-d/2)(1 + d/2): that CDF is the anomaly in [0, 1] (0.5 typical, near 1 odd).
Logs because sizes are multiplicative (a box twice as wide is as odd as one half as wide).
The covariance is shrunk toward its diagonal plus a floor so a label seen a few times, or
always drawn with the same size, does not call every other box impossible.
"""
from __future__ import annotations

import math

from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_float_list,
    expect_int,
    expect_keys,
    expect_string,
)

DIMENSIONS = 4
MINIMUM_BOXES = 5
SHRINKAGE = 0.1
VARIANCE_FLOOR = 1e-3
MAXIMUM_LABELS = 100_000


def box_features(x: float, y: float, width: float, height: float) -> list[float] | None:
    """The four features, or None when the box is not a finite box of positive size."""
    values = (x, y, width, height)
    if not all(isinstance(value, (int, float)) and not isinstance(value, bool)
               and math.isfinite(value) for value in values):
        return None
    if width <= 0 or height <= 0:
        return None
    return [math.log(width), math.log(height), (x + width / 2) / 100, (y + height / 2) / 100]


class LabelGeometry:
    """Welford running mean and co-moment matrix of one label's boxes."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = [0.0] * DIMENSIONS
        self.comoment = [0.0] * (DIMENSIONS * DIMENSIONS)

    def learn(self, features: list[float]) -> None:
        self.count += 1
        deltas = [value - mean for value, mean in zip(features, self.mean)]
        self.mean = [mean + delta / self.count for mean, delta in zip(self.mean, deltas)]
        after = [value - mean for value, mean in zip(features, self.mean)]
        for row in range(DIMENSIONS):
            for column in range(DIMENSIONS):
                self.comoment[row * DIMENSIONS + column] += deltas[row] * after[column]

    def anomaly(self, features: list[float]) -> float | None:
        if self.count < MINIMUM_BOXES:
            return None
        covariance = [value / (self.count - 1) for value in self.comoment]
        for row in range(DIMENSIONS):
            for column in range(DIMENSIONS):
                index = row * DIMENSIONS + column
                if row == column:
                    covariance[index] += VARIANCE_FLOOR
                else:
                    covariance[index] *= 1 - SHRINKAGE
        differences = [value - mean for value, mean in zip(features, self.mean)]
        solved = _solve(covariance, differences)
        if solved is None:
            return None
        distance = max(0.0, sum(a * b for a, b in zip(differences, solved)))
        return 1.0 - math.exp(-distance / 2) * (1 + distance / 2)


class GeometryStatistics:
    """One `LabelGeometry` per box label."""

    def __init__(self) -> None:
        self.labels: dict[str, LabelGeometry] = {}

    def learn(self, label: str, x: float, y: float, width: float, height: float) -> None:
        features = box_features(x, y, width, height)
        if features is None:
            return
        geometry = self.labels.get(label)
        if geometry is None:
            if len(self.labels) >= MAXIMUM_LABELS:
                return
            geometry = self.labels[label] = LabelGeometry()
        geometry.learn(features)

    def anomaly(self, label: str, x: float, y: float, width: float,
                height: float) -> float | None:
        geometry = self.labels.get(label)
        features = box_features(x, y, width, height)
        if geometry is None or features is None:
            return None
        return geometry.anomaly(features)

    def to_dict(self) -> dict:
        return {label: {"count": geometry.count, "mean": list(geometry.mean),
                        "comoment": list(geometry.comoment)}
                for label, geometry in self.labels.items()}

    @classmethod
    def from_dict(cls, data: object, where: str) -> GeometryStatistics:
        statistics = cls()
        data = expect_dict(data, where)
        if len(data) > MAXIMUM_LABELS:
            raise ModelFileError(f"{where} has more than {MAXIMUM_LABELS} labels")
        for label, item in data.items():
            place = f"{where}[{label[:40]!r}]"
            expect_string(label, place)
            item = expect_dict(item, place)
            expect_keys(item, place, {"count", "mean", "comoment"})
            geometry = LabelGeometry()
            geometry.count = expect_int(item["count"], place + ".count", minimum=0)
            geometry.mean = expect_float_list(item["mean"], place + ".mean", maximum=1e6)
            geometry.comoment = expect_float_list(item["comoment"], place + ".comoment",
                                                  maximum=1e300)
            if len(geometry.mean) != DIMENSIONS or len(geometry.comoment) != DIMENSIONS ** 2:
                raise ModelFileError(f"{place} must have {DIMENSIONS} means and "
                                     f"{DIMENSIONS ** 2} co-moments")
            statistics.labels[label] = geometry
        return statistics


def _solve(matrix: list[float], vector: list[float]) -> list[float] | None:
    """Gaussian elimination with partial pivoting on a small dense system."""
    size = len(vector)
    rows = [matrix[row * size:(row + 1) * size] + [vector[row]] for row in range(size)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda row: abs(rows[row][column]))
        if abs(rows[pivot][column]) < 1e-12:
            return None
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for row in range(size):
            if row != column:
                factor = rows[row][column] / rows[column][column]
                rows[row] = [a - factor * b for a, b in zip(rows[row], rows[column])]
    return [rows[row][size] / rows[row][row] for row in range(size)]
