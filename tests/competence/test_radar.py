"""The radar chart: valid, accessible, escaped, deterministic SVG with correct geometry."""

import math
import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from competence.radar import RadarSeries, _text_width, default_rings, radar_chart, radar_svg

SVG = "{http://www.w3.org/2000/svg}"
AXES_21 = [
    f"{a}.{c}" for a, count in [(1, 3), (2, 6), (3, 4), (4, 4), (5, 4)] for c in range(1, count + 1)
]
AREAS = [
    "Information and data literacy",
    "Communication and collaboration",
    "Digital content creation",
    "Safety",
    "Problem solving",
]


def render(axes, series, **kwargs) -> Markup:
    kwargs.setdefault("max_value", 8)
    kwargs.setdefault("title", "Your digital competence")
    kwargs.setdefault("description", "Levels per competence.")
    return radar_svg(axes, series, **kwargs)


def parse(markup: Markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def points(polygon: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in polygon.get("points").split()]


def series_polygons(root: ET.Element) -> dict[str, ET.Element]:
    return {
        g.get("class").split("--")[1]: g.find(f"{SVG}polygon[@class='radar-area']")
        for g in root.iter(f"{SVG}g")
        if "radar-series" in g.get("class", "").split()
    }


def outer_radius(root: ET.Element) -> float:
    ring = root.find(f".//{SVG}polygon[@class='radar-ring radar-ring--outer']")
    return max(math.hypot(x, y) for x, y in points(ring))


def test_is_an_accessible_image_with_title_and_description():
    root = parse(
        render(["a", "b", "c"], [RadarSeries("Now", [1, 2, 3], "current")], id_prefix="me")
    )
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "me-title me-desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert (title.get("id"), title.text) == ("me-title", "Your digital competence")
    assert (desc.get("id"), desc.text) == ("me-desc", "Levels per competence.")
    assert root.get("width") == "100%"
    assert len(root.get("viewBox").split()) == 4


def test_needs_no_stylesheet_script_or_external_reference():
    markup = str(
        render(
            AXES_21,
            [
                RadarSeries("Before", [3] * 21, "previous"),
                RadarSeries("Now", [4] * 21, "current"),
                RadarSeries("Target", [5] * 21, "target"),
            ],
        )
    )
    root = parse(markup)
    # style attributes would be blocked by the tool's style-src 'self' policy.
    assert not any(el.get("style") for el in root.iter())
    assert not list(root.iter(f"{SVG}script"))
    assert "href" not in markup and "url(" not in markup


def test_one_closed_polygon_per_series_with_a_point_per_axis():
    series = [
        RadarSeries("Before", [1] * 21, "previous"),
        RadarSeries("Now", [2] * 21, "current"),
    ]
    polygons = series_polygons(parse(render(AXES_21, series)))
    assert set(polygons) == {"previous", "current"}
    assert all(len(points(p)) == 21 for p in polygons.values())


def test_value_max_lies_on_the_outer_ring_and_zero_at_the_centre():
    values = [8, 0, 4, 8, 0]
    root = parse(render(AREAS, [RadarSeries("Now", values, "current")]))
    radius = outer_radius(root)
    vertices = points(series_polygons(root)["current"])
    for value, (x, y) in zip(values, vertices, strict=True):
        assert math.hypot(x, y) == pytest.approx(radius * value / 8, abs=0.1)


def test_first_axis_points_straight_up_and_axes_run_clockwise():
    root = parse(render(["a", "b", "c", "d"], [RadarSeries("Now", [8, 8, 8, 8], "current")]))
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points(series_polygons(root)["current"])
    assert x0 == 0 and y0 < 0  # 12 o'clock (SVG y grows downwards)
    assert x1 > 0 and y1 == pytest.approx(0, abs=0.1)  # 3 o'clock
    assert x2 == pytest.approx(0, abs=0.1) and y2 > 0
    assert x3 < 0


def test_values_are_clamped_to_the_scale():
    root = parse(render(["a", "b", "c"], [RadarSeries("Now", [12, -3, 4], "current")]))
    radius = outer_radius(root)
    distances = [math.hypot(x, y) for x, y in points(series_polygons(root)["current"])]
    assert distances == pytest.approx([radius, 0, radius / 2], abs=0.1)


def test_a_not_assessed_competence_is_not_drawn_as_level_zero():
    root = parse(render(AREAS, [RadarSeries("Now", [3, None, 5, 4, None], "current")]))
    group = next(g for g in root.iter(f"{SVG}g") if "radar-series--current" in g.get("class", ""))

    # No line runs to the centre (that would read as level 0) and nothing is filled.
    assert group.find(f"{SVG}polygon[@class='radar-area']") is None
    lines = group.findall(f"{SVG}polyline")
    assert all((0.0, 0.0) not in points(line) for line in lines)
    assert all(line.get("fill") == "none" for line in lines)
    # The line joins only neighbouring assessed spokes: 5 and 4 (3 stands alone).
    assert [len(points(line)) for line in lines] == [2]
    assert len(group.findall("*[@class='radar-dot']")) == 3


def test_not_assessed_spokes_break_the_line_where_it_wraps_around():
    root = parse(render(AREAS, [RadarSeries("Now", [3, 2, None, 4, 5], "current")]))
    group = next(g for g in root.iter(f"{SVG}g") if "radar-series--current" in g.get("class", ""))

    # 4, 5 and round past the top to 3, 2: one line of four points.
    assert [len(points(line)) for line in group.findall(f"{SVG}polyline")] == [4]


def test_all_caller_text_is_escaped():
    hostile = "<script>&"
    markup = str(
        render(
            [hostile, "b", "c"],
            [RadarSeries(hostile, [1, 2, 3], "current")],
            title=hostile,
            description=hostile,
        )
    )
    root = parse(markup)
    assert "<script" not in markup
    assert markup.count("&lt;script&gt;&amp;") == 4
    assert not [el for el in root.iter() if "script" in el.tag]
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "radar-axis-label"]
    assert hostile in labels


def test_rejects_what_would_break_the_markup_or_the_geometry():
    one = [RadarSeries("Now", [1, 2, 3], "current")]
    with pytest.raises(ValueError, match="id_prefix"):
        render(["a", "b", "c"], one, id_prefix='x" onload="')
    with pytest.raises(ValueError, match="style"):
        render(["a", "b", "c"], [RadarSeries("Now", [1, 2, 3], 'x" a="')])
    with pytest.raises(ValueError, match="3 axes"):
        render(["a", "b"], [RadarSeries("Now", [1, 2], "current")])
    with pytest.raises(ValueError, match="values"):
        render(["a", "b", "c"], [RadarSeries("Now", [1, 2], "current")])


def test_output_is_deterministic():
    series = [RadarSeries("Before", [1.234567] * 21, "previous"), RadarSeries("Now", [2] * 21)]
    first = render(AXES_21, series)
    assert render(AXES_21, series) == first
    # Coordinates are rounded to one decimal.
    root = parse(first)
    for polygon in root.iter(f"{SVG}polygon"):
        for x, y in points(polygon):
            assert round(x, 1) == x and round(y, 1) == y


def test_series_differ_by_more_than_colour():
    root = parse(
        render(
            AREAS,
            [
                RadarSeries("Before", [1] * 5, "previous"),
                RadarSeries("Now", [2] * 5, "current"),
                RadarSeries("Target", [3] * 5, "target"),
            ],
        )
    )
    polygons = series_polygons(root)
    dashes = {style: p.get("stroke-dasharray") for style, p in polygons.items()}
    assert len(set(dashes.values())) == 3  # solid (None), dashed, dotted
    legend = root.find(f".//{SVG}g[@class='radar-legend']")
    items = legend.findall(f"{SVG}g")
    assert [i.find(f"{SVG}text").text for i in items] == ["Before", "Now", "Target"]
    assert [i.find(f"{SVG}line").get("stroke-dasharray") for i in items] == [
        dashes["previous"],
        dashes["current"],
        dashes["target"],
    ]


def test_unknown_style_gets_a_class_and_a_visible_default():
    root = parse(render(["a", "b", "c"], [RadarSeries("Team", [1, 2, 3], "team-average")]))
    polygon = series_polygons(root)["team-average"]
    assert polygon.get("stroke") not in (None, "none")


@pytest.mark.parametrize(
    ("axes", "max_value"),
    [
        (["a", "b", "c"], 4),
        (AREAS, 8),
        (["Case management", "E-mail", "Intranet", "HR system", "Finance", "Teams"], 4),
        (AXES_21, 8),
        ([f"System {i}" for i in range(30)], 4),
    ],
)
def test_renders_from_3_to_30_axes_with_labels_inside_the_view_box(axes, max_value):
    n = len(axes)
    root = parse(
        render(
            axes,
            [
                RadarSeries("Target", [max_value] * n, "target"),
                RadarSeries("Now", [max_value / 2] * n, "current"),
            ],
            max_value=max_value,
        )
    )
    assert all(len(points(p)) == n for p in series_polygons(root).values())
    min_x, min_y, width, height = map(float, root.get("viewBox").split())
    font = 14.0
    texts = []
    for text in root.iter(f"{SVG}text"):
        lines = list(text.iter(f"{SVG}tspan")) or [text]
        texts += [(line, text.get("text-anchor", "start")) for line in lines]
    axis_labels = [t for t in root.iter(f"{SVG}text") if t.get("class") == "radar-axis-label"]
    assert len(axis_labels) == n
    for line, anchor in texts:
        x, y = float(line.get("x")), float(line.get("y"))
        w = _text_width("".join(line.itertext()), font)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[anchor]
        assert min_x <= left and left + w <= min_x + width
        assert min_y <= y - font and y + 0.3 * font <= min_y + height
    # Labels sit outside the web and clear of each other.
    radius = outer_radius(root)
    boxes = []
    for label in axis_labels:
        lines = list(label.iter(f"{SVG}tspan")) or [label]
        x, top = float(lines[0].get("x")), float(lines[0].get("y")) - 0.95 * font
        assert math.hypot(x, float(lines[0].get("y"))) > radius
        w = max(_text_width("".join(line.itertext()), font) for line in lines)
        left = {"start": x, "middle": x - w / 2, "end": x - w}[label.get("text-anchor")]
        boxes.append((left, top, left + w, top + 1.2 * font * len(lines)))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (
                a[0] < b[2] - 0.1 and b[0] < a[2] - 0.1 and a[1] < b[3] - 0.1 and b[1] < a[3] - 0.1
            )


def test_default_rings_follow_the_scale():
    assert default_rings(4) == [1, 2, 3, 4]
    assert default_rings(8) == [2, 4, 6, 8]
    root = parse(render(["a", "b", "c"], [], max_value=8, rings=[1, 3, 5]))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "radar-ring-label"]
    assert labels == ["1", "3", "5", "8"]  # the scale's top is always drawn


# --- radar_chart: how every page builds its radar -------------------------------------------

CHART = {"max_value": 4, "title": "Team", "description": "Mean per area.", "id_prefix": "r"}


def test_a_page_draws_only_the_series_it_has_in_the_order_given():
    previous = RadarSeries("2025", [1, 2, 3], "previous")
    current = RadarSeries("2026", [2, 3, 4], "current")

    chart = radar_chart(["a", "b", "c"], [current, None, previous], **CHART)

    assert chart == radar_svg(["a", "b", "c"], [current, previous], **CHART)
    legend = parse(chart).findall(f".//{SVG}text[@class='radar-legend-label']")
    assert [label.text for label in legend] == ["2026", "2025"]


def test_a_hidden_group_gets_no_chart_even_with_last_years_beside_it():
    previous = RadarSeries("2025", [1, 2, 3], "previous")

    assert radar_chart(["a", "b", "c"], [None, previous], **CHART) is None


def test_a_framework_of_fewer_than_three_areas_gets_no_chart():
    assert radar_chart(["a", "b"], [RadarSeries("2026", [1, 2], "current")], **CHART) is None


@pytest.mark.parametrize("language", ["sv", "en"])
def test_phone_chart_names_stand_apart_so_neighbours_do_not_read_as_one_name(language):
    """At 375 px "Lära dig mer" once ended where "information" (of "Söka information")
    began, on the same line: a reader saw "Lära dig mer information".  Every pair of
    spoke names on overlapping lines keeps at least half a letter's width between them."""
    from competence.frameworks import digcomp
    from competence.plain_language import short_name, without_soft_hyphens

    framework = digcomp()
    names = [
        without_soft_hyphens(short_name(framework, c.id, language)) for c in framework.competences
    ]
    font = 12
    root = parse(
        render(
            names,
            [RadarSeries("Nu", [3] * len(names), "current")],
            size=343,
            font_size=font,
            label_width=0.24,
        )
    )
    boxes = []
    for text in root.iter(f"{SVG}text"):
        if "radar-axis-label" not in (text.get("class") or ""):
            continue
        spans = list(text.iter(f"{SVG}tspan")) or [text]
        lines = ["".join(s.itertext()) for s in spans]
        width = max(_text_width(line, font) for line in lines)
        x = float(spans[0].get("x"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor")]
        top = float(spans[0].get("y")) - font
        boxes.append((lines, left, left + width, top, top + 1.2 * font * len(lines)))
    assert len(boxes) == len(names)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            same_lines = a[3] < b[4] and b[3] < a[4]
            if same_lines:
                gap = max(b[1] - a[2], a[1] - b[2])
                assert gap >= 0.5 * font, (a[0], b[0], gap)
