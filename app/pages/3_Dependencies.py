"""Dependencies: one system's neighbourhood, and interfaces between departments (the silo picture)."""

import altair as alt
import streamlit as st

from app import ui
from reporting.views import NEIGHBOURS_SHOWN, department_matrix, neighbourhood, system_choices

ui.page(
    "Dependencies",
    "Data flows from source to target: a system depends on the systems that feed it. "
    "Replacing one touches everything downstream of it (its blast radius).",
)
data = ui.estate(analysed=False)
view = st.radio("View", ["Neighbourhood of a system", "Departments"], horizontal=True)

if view == "Neighbourhood of a system":
    choices = system_choices(data)
    names = data.systems.set_index("system_id")["name"].to_dict()
    picked, depth = st.columns([3, 1])
    chosen = picked.selectbox("System", choices, format_func=lambda s: f"{s} — {names.get(s) or ''}")
    hops = depth.slider("Hops", 1, 3, 1, help="How many interfaces away to show, each side.")
    nodes, edges = neighbourhood(data, chosen, hops)
    if len(nodes) == 1:
        st.info(f"{ui.plain(chosen)} has no interfaces to or from other systems.")
        st.stop()
    nodes = nodes.assign(kind=nodes["in_inventory"].map({True: "in the inventory", False: "placeholder (not in it)"}))

    # Every layer hides both axes: Vega-Lite cannot merge a layer's axis with another layer's "no axis" (the
    # chart then never draws, with "Cannot read properties of undefined (reading 'forEach')" in the browser).
    def x(field: str) -> alt.X:
        return alt.X(field, axis=None, scale=alt.Scale(domain=[-hops - 0.9, hops + 0.9]))  # room for the labels

    def y(field: str) -> alt.Y:
        return alt.Y(field, axis=None, scale=alt.Scale(padding=30))

    lines = (
        alt.Chart(edges)
        .mark_rule(color="#767676")
        .encode(
            x=x("x:Q"), y=y("y:Q"), x2="x_target:Q", y2="y_target:Q", tooltip=[alt.Tooltip("kind", title="Interface")]
        )
    )
    arrows = (  # the direction of the data flow
        alt.Chart(edges)
        .mark_point(shape="triangle-right", filled=True, size=90, color="#505a5f", opacity=1)
        .encode(x=x("x_arrow:Q"), y=y("y_arrow:Q"), angle=alt.Angle("angle:Q", scale=None),
                tooltip=[alt.Tooltip("kind", title="Interface")])
    )  # fmt: skip
    points = (
        alt.Chart(nodes)
        .mark_point(size=320, filled=True, opacity=1)
        .encode(
            x=x("x:Q"),
            y=y("y:Q"),
            color=alt.Color("role:N", title="Role", sort=["feeds it", "selected", "depends on it"]),
            shape=alt.Shape(
                "kind:N",
                title="System",
                scale=alt.Scale(domain=["in the inventory", "placeholder (not in it)"], range=["circle", "square"]),
            ),
            tooltip=[
                alt.Tooltip("system_id", title="System ID"),
                alt.Tooltip("name", title="Name"),
                alt.Tooltip("department", title="Department"),
                alt.Tooltip("role", title="Role"),
                alt.Tooltip("kind", title="System"),
            ],
        )
    )
    # labels beside the nodes, away from the lines: left of what feeds it, right of what depends on it, the
    # selected system's above it
    label_width = 900 / (2 * hops + 1.8) * 0.95  # pixels between two columns of nodes, about
    sides = [("datum.x < 0", {"align": "right", "dx": -14}), ("datum.x > 0", {"align": "left", "dx": 14}),
             ("datum.x == 0", {"align": "center", "dy": -26})]  # fmt: skip
    labels = [
        alt.Chart(nodes)
        .transform_filter(side)
        .mark_text(fontSize=11, lineBreak="\n", fontWeight="bold", baseline="middle", limit=label_width, **place)
        .encode(x=x("x:Q"), y=y("y:Q"), text="label:N")
        for side, place in sides
    ]
    ui.chart(
        alt.layer(lines, arrows, points, *labels).properties(
            height=max(320, 46 * int(nodes.groupby("x").size().max()))
        ),
        f"Systems within {hops} interface(s) of {chosen}: what feeds it (left) and what depends on it (right)",
        f"Node-link diagram centred on {chosen}; columns to the left feed it, columns to the right depend on it.",
    )
    st.caption(f"At most {NEIGHBOURS_SHOWN} systems per hop and side are drawn (first by ID).")
    st.dataframe(
        nodes[["system_id", "name", "department", "role", "x"]].rename(columns={"x": "hops"}),
        hide_index=True,
        column_config={"system_id": "System ID", "name": "Name", "department": "Department", "role": "Role",
                       "hops": st.column_config.NumberColumn("Hops (− upstream, + downstream)", format="%d")},
    )  # fmt: skip
else:
    if "department_links" not in data.results:
        st.info("The department view needs the graph analysis: run `estate analyse`.")
        st.stop()
    matrix = department_matrix(data)
    if matrix.empty:
        st.info("No interfaces between known systems yet: import an Interfaces sheet.")
        st.stop()
    heat = (
        alt.Chart(matrix)
        .mark_rect()
        .encode(
            x=alt.X(
                "target_department:N",
                title="Target department (receives data)",
                axis=alt.Axis(labelAngle=-40, labelLimit=320, labelOverlap=False),
            ),
            y=alt.Y(
                "source_department:N",
                title="Source department (sends data)",
                axis=alt.Axis(labelLimit=320, labelOverlap=False),
            ),
            color=alt.Color("interfaces:Q", title="Interfaces", scale=alt.Scale(scheme="blues")),
            tooltip=[
                alt.Tooltip("source_department", title="Source department"),
                alt.Tooltip("target_department", title="Target department"),
                alt.Tooltip("interfaces", title="Interfaces", format=","),
            ],
        )
    )
    dark = float(matrix["interfaces"].max()) / 2  # white numbers on the darker half of the blues, black on the rest
    text = heat.mark_text(fontSize=10).encode(
        text="interfaces:Q",
        color=alt.condition(alt.datum.interfaces > dark, alt.value("#ffffff"), alt.value("#0b0c0c")),
    )
    ui.chart(
        alt.layer(heat, text).properties(height=alt.Step(30)),
        "Interfaces between departments (rows send, columns receive)",
        "Heat map: number of interfaces from each source department to each target department.",
    )
    silos = data.results["department_silos"]
    st.subheader("How siloed each department is")
    st.dataframe(
        silos.sort_values("cross_department_share"),
        hide_index=True,
        column_config={
            "department": "Department",
            "interfaces": st.column_config.NumberColumn("Interfaces touching it", format="%d"),
            "cross_department_interfaces": st.column_config.NumberColumn("Crossing departments", format="%d"),
            "cross_department_share": st.column_config.ProgressColumn(
                "Share crossing departments", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
