"""Tests of ehps_lib.papers.maps: classes, layers and the figures' content (not their pixels)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from ehps_lib.papers import maps


def squares(n: int = 4, district: str = "E07000106") -> gpd.GeoDataFrame:
    """``n`` 1 km squares side by side, in British National Grid."""
    return gpd.GeoDataFrame({"lsoa11_code": [f"L{i}" for i in range(n)], "district_code": district},
                            geometry=[box(600000 + i * 1000, 150000, 601000 + i * 1000, 151000) for i in range(n)],
                            crs=27700)


class TestClasses:
    def test_imd_class_is_the_national_quintile(self):
        # deciles 1-2 -> 1, 3-4 -> 2, ..., 9-10 -> 5
        assert maps.imd_class([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]

    def test_idaci_bands_include_their_lower_bound(self):
        # 0.10 is in "10% to under 20%" (class 4), 0.0999 in "under 10%" (5), 0.30 in class 2
        assert maps.idaci_class([0.10, 0.0999, 0.30, 0.2999, 0.539]).tolist() == [4, 5, 2, 3, 1]

    def test_value_classes_split_highest_first_and_skip_missing(self):
        # 5 values in 2 groups: sizes 3 and 2, highest first: {50, 40, 30} and {20, 10}
        cls, ranges = maps.value_classes([10, 50, np.nan, 30, 20, 40], k=2)
        assert cls.tolist() == [2, 1, 0, 1, 2, 1]
        assert ranges == [(30.0, 50.0), (10.0, 20.0)]

    def test_value_classes_with_fewer_distinct_values_than_classes(self):
        cls, ranges = maps.value_classes([5.0, 5.0, 5.0], k=4)
        assert cls.tolist() == [1, 1, 1] and ranges == [(5.0, 5.0)]
        cls, ranges = maps.value_classes([np.nan, np.nan])
        assert cls.tolist() == [0, 0] and ranges == []


class TestLayers:
    def test_layer_joins_attributes_and_projects(self):
        bounds = squares(2).to_crs(4326)
        layer = maps.lsoa_layer(pd.DataFrame({"lsoa11_code": ["L0", "L1"], "imd_decile": [1, 9]}), bounds)
        assert layer.crs.to_epsg() == 27700
        assert layer.set_index("lsoa11_code")["imd_decile"].to_dict() == {"L0": 1, "L1": 9}

    def test_mixed_vintages_are_refused(self):
        with pytest.raises(ValueError, match="never mix LSOA vintages"):
            maps.lsoa_layer(pd.DataFrame({"lsoa11_code": ["L0", "X9"]}), squares(2))


def _legend_texts(fig) -> list[str]:
    ax = fig.axes[0]
    return [t.get_text() for t in ax.get_legend().get_texts()]


class TestFigures:
    def test_choropleth_legend_lists_every_class_the_hatch_and_missing(self):
        layer = squares(4)
        districts = gpd.GeoDataFrame({"district_code": ["E07000106"], "name": ["Canterbury"]},
                                     geometry=[layer.union_all()], crs=27700)
        fig = maps.choropleth_figure(layer, [1, 2, 0, 5], maps.IMD_CLASS_LABELS, districts, legend_title="IMD",
                                     hatch=[True, False, False, False], hatch_label=maps.DECILE_1_LABEL)
        assert _legend_texts(fig) == [*maps.IMD_CLASS_LABELS, maps.DECILE_1_LABEL, "No value"]
        assert fig.axes[0].get_legend().get_title().get_text() == "IMD"
        # the district is named on the map
        assert "Canterbury" in [t.get_text() for t in fig.axes[0].texts]

    def test_a_zoomed_map_greys_the_rest_and_names_neighbours_in_view(self):
        layer = pd.concat([squares(3, "E07000106"), squares(3, "E07000114").translate(3000, 0)
                           .pipe(lambda g: gpd.GeoDataFrame({"lsoa11_code": ["M0", "M1", "M2"],
                                                             "district_code": "E07000114"}, geometry=g, crs=27700))],
                          ignore_index=True)
        districts = gpd.GeoDataFrame({"district_code": ["E07000106", "E07000114"], "name": ["Canterbury", "Thanet"]},
                                     geometry=[layer[layer.district_code == c].union_all()
                                               for c in ("E07000106", "E07000114")], crs=27700)
        fig = maps.choropleth_figure(layer, [1, 1, 1, 1, 1, 1], maps.IMD_CLASS_LABELS, districts,
                                     legend_title="IMD", focus={"E07000106"})
        assert "Outside the area" in _legend_texts(fig)
        # the view is Canterbury's 3 km plus a margin: Thanet is beyond it, so it is not named, and
        # Canterbury is not named on its own map (the caption names it)
        assert [t.get_text() for t in fig.axes[0].texts] == []
        x0, x1 = fig.axes[0].get_xlim()
        assert x0 < 600000 and 603000 < x1 < 603500

    def test_district_map_outlines_the_papers_district(self):
        layer = squares(2)
        districts = gpd.GeoDataFrame({"district_code": ["E07000106", "E07000114"], "name": ["Canterbury", "Thanet"]},
                                     geometry=list(layer.geometry), crs=27700)
        labels = {"E07000106": "Canterbury\n12.0", "E07000114": "Thanet\nc"}
        fig = maps.district_value_figure(districts, [1, 0], [(12.0, 12.0)], labels, legend_title="Rate",
                                         value_format=lambda v: f"{v:.1f}", highlight={"E07000114"})
        assert _legend_texts(fig) == ["12.0 to 12.0", "Withheld or not available", "Heavy outline: Thanet"]
        assert sorted(t.get_text() for t in fig.axes[0].texts) == ["Canterbury\n12.0", "Thanet\nc"]

    def test_gradient_marks_withheld_and_empty_groups(self):
        frame = pd.DataFrame({"group": [1, 2, 3, 4, 5], "value": [500.0, np.nan, 300.0, np.nan, 100.0],
                              "ci_lower": [450.0, np.nan, 250.0, np.nan, 80.0],
                              "ci_upper": [550.0, np.nan, 350.0, np.nan, 120.0],
                              "suppressed": [False, True, False, False, False], "lsoas": [3, 2, 4, 0, 5]})
        fig = maps.gradient_figure(frame, area_label="Canterbury", y_label="Per 10,000")
        ax = fig.axes[0]
        assert sorted(t.get_text() for t in ax.texts) == ["c", "none"]
        assert [t.get_text() for t in ax.get_xticklabels()][0] == "1\nmost deprived"
        assert [t.get_text() for t in ax.get_xticklabels()][-1] == "5\nleast deprived"
        # y axis runs to 12% above the highest interval end (550 x 1.12 = 616)
        assert ax.get_ylim()[1] == pytest.approx(616.0)

    def test_png_is_quantised_and_sized(self):
        layer = squares(4)
        districts = gpd.GeoDataFrame({"district_code": ["E07000106"], "name": ["Canterbury"]},
                                     geometry=[layer.union_all()], crs=27700)
        fig = maps.choropleth_figure(layer, [1, 2, 3, 4], maps.IMD_CLASS_LABELS, districts, legend_title="IMD",
                                     figsize=(8, 4))
        png = maps.figure_to_png(fig, dpi=100, colours=16)
        w, h = maps.png_size(png)
        # cropped to what is drawn (plus a 0.05 inch pad): four squares in a row leave most of the
        # 4-inch height blank, so the image is much less than 400 pixels high
        assert 0 < w <= 800 + 10 and 0 < h < 300
        from io import BytesIO

        from PIL import Image

        with Image.open(BytesIO(png)) as im:
            assert im.mode == "P" and len(im.getcolors()) <= 16
        with pytest.raises(ValueError):
            maps.png_size(b"not a png at all, no")

    def test_figure_size_keeps_the_aspect(self):
        # a 2:1 (wide) area, 8 inches wide: map 8 x 0.5 x 1.08 = 4.32 inches, plus 1.25 for the legend
        assert maps.figure_size_for((0, 0, 2000, 1000)) == (8.0, pytest.approx(5.57))
        # very tall areas are capped so a map and caption fit on an A4 page
        assert maps.figure_size_for((0, 0, 1000, 5000))[1] == 7.2
