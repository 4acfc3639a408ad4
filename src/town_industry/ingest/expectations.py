"""Custom Great Expectations expectations for formats GX does not know.

Importing this module registers them with GX, so suites stored as JSON can name
them (``expect_column_values_to_be_valid_uscc`` ...).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics import ColumnMapMetricProvider, column_condition_partial

from town_industry.contracts.codes import is_valid_id_number, valid_uscc_array
from town_industry.contracts.industry import is_valid_industry_class


def _per_distinct(column: pd.Series, is_valid) -> pd.Series:
    """``is_valid`` of each distinct value once: codes repeat a lot (industries, months) in a big file."""
    positions, distinct = pd.factorize(column)
    verdicts = np.array([bool(is_valid(v)) for v in distinct] + [False])  # position -1: a missing value
    return pd.Series(verdicts[positions], index=column.index)


class ColumnValuesValidUscc(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_uscc"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return pd.Series(valid_uscc_array(column.tolist()), index=column.index)


class ExpectColumnValuesToBeValidUscc(ColumnMapExpectation):
    """Values are unified social credit codes: 18 characters of GB 32100-2015 with a correct check character."""

    map_metric = "column_values.valid_uscc"
    success_keys = ("mostly",)


class ColumnValuesValidIndustryClass(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_industry_class"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return _per_distinct(column, is_valid_industry_class)


class ExpectColumnValuesToBeValidIndustryClass(ColumnMapExpectation):
    """Values are 4-digit GB/T 4754-2017 classes whose 2-digit division exists."""

    map_metric = "column_values.valid_industry_class"
    success_keys = ("mostly",)


class ColumnValuesValidIdNumber(ColumnMapMetricProvider):
    condition_metric_name = "column_values.valid_id_number"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column, **kwargs):
        return _per_distinct(column, is_valid_id_number)


class ExpectColumnValuesToBeValidIdNumber(ColumnMapExpectation):
    """Values are GB 11643-1999 resident ID numbers: real birth date, correct check character."""

    map_metric = "column_values.valid_id_number"
    success_keys = ("mostly",)

