"""Every label the dashboard shows, in Chinese and English, and the helpers that pick one.

Quotes stay in Chinese. Outside this module no code asks which language is chosen: it asks for a
label (t), a column (column, localized), a list (list_join) or a period (period_text).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

LANGUAGES = ("zh", "en")

LABELS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app_title": (
        "红色引擎 · 城区党建数据对比",
        "Red Engine · comparing districts' Party building",
    ),
    "page_overview": ("总览", "Overview"),
    "page_compare": ("对比", "Compare"),
    "page_profile": ("城区档案", "District profile"),
    "page_sources": ("来源", "Sources"),
    "page_changes": ("版本变化", "What changed"),
    "language": ("语言", "Language"),
    "snapshot": ("数据版本", "Snapshot"),
    "snapshot_help": (
        "链接会记住数据版本，分享出去的数字不会因新数据而改变。",
        "Links keep the snapshot, so a shared link keeps showing the same numbers.",
    ),
    "latest": ("最新", "latest"),
    # overview
    "overview_intro": (
        "{n:,} 个地方的党建数字一览：每个数字都来自公开报道，并附原文。各报道时期不同，比较时请留意时期标注。",
        "{n:,} places at a glance. Every figure comes from a published report, with its quote; "
        "the reports cover different periods, marked beside each figure.",
    ),
    "figures": ("数字个数", "Figures"),
    "report_period": ("报道时期", "Report period"),
    "coverage_title": (
        "数据覆盖：每地每类有多少个数字",
        "Coverage: how many figures each place reports per category",
    ),
    "coverage_gap_note": (
        "“—”表示报道未提及，不代表为零。",
        "“—” means not reported, not zero.",
    ),
    "headline_title": (
        "各类别中同一定义报道地最多的概念，及其同口径比较",
        "Per category, the definition most places report, and the like-for-like comparison it supports",
    ),
    "reported_by": ("报道地数", "Places reporting"),
    "n_places": ("{n:,} 地报告", "reported by {n:,}"),
    "open_compare": ("打开对比", "Open in Compare"),
    "open_profile": ("查看档案", "Open profile"),
    # compare
    "compare_intro": (
        "选一个概念（一个定义）和若干地方比较：图中只放与参照数字同口径可比的数字，其余列在图下并说明原因；"
        "同类的其他定义单独列出。未报告的地方标为“未报告”，不按零计；≥ 表示“以上/余”，≈ 表示约数。",
        "Pick a concept (one definition) and places to compare: the chart holds only figures like for like with "
        "the reference figure; the others are listed under it with the reason, and the family's other "
        "definitions on their own. A place that does not report it is shown as 'not reported', never as 0; "
        "≥ marks 'more than', ≈ 'about'.",
    ),
    "category": ("类别", "Category"),
    "metric": ("指标", "Metric"),
    "places": ("地方", "Places"),
    "view": ("显示", "View"),
    "chart": ("图表", "Chart"),
    "table": ("表格", "Table"),
    "not_reported": ("未报告", "not reported"),
    "not_reported_by": ("未报告此指标：", "Not reported by: "),
    "qualifier_note": (
        "≥ 为下限（“余/以上/超过”），≈ 为约数，“预计”为估计值，“目标”为计划值。",
        "≥ is a lower bound (余/以上/超过), ≈ approximate, est. an estimate, target a planned figure.",
    ),
    "download_csv": ("下载 CSV（含原文与来源）", "Download CSV (with quotes and sources)"),
    "only_one_place": (
        "只有一个地方报告此指标，无从比较；下面仍列出其数字。",
        "Only one place reports this metric, so there is nothing to compare it with; its figure is shown below.",
    ),
    "top_places_chosen": (
        "{total:,} 个地方报告此指标；默认选出数字最高的 {n} 个。可在上面的框中搜索添加其他地方，或下载全部。",
        "{total:,} places report this metric; the {n} with the highest figures are chosen. "
        "Search the box above to add others, or download them all.",
    ),
    "download_all_csv": ("下载全部 {n:,} 个地方的 CSV", "Download all {n:,} places (CSV)"),
    "more_places_hidden": (
        "图中只显示前 {n} 个地方；表格中有全部。",
        "The chart shows the top {n} places; the table has all.",
    ),
    "more_rows_hidden": (
        "只显示前 {n} 行（共 {total} 行）；用命令行 redengine snapshot diff 看全部。",
        "Showing the first {n} of {total} rows; 'redengine snapshot diff' lists all.",
    ),
    # concepts and comparability
    "concept": ("概念", "Concept"),
    "definition": ("口径（指标）", "Definition (metric)"),
    "all_definitions": ("全部口径", "All definitions"),
    "like_only": ("只看同口径可比", "Like for like only"),
    "figures_shown": ("数字", "Figures"),
    "shown_all": ("全部", "All"),
    "shown_like": ("只看同口径可比", "Like for like only"),
    "amount": ("数量", "Amount"),
    "amount_total": ("总数", "Total"),
    "amount_month": ("按月平均", "Per month"),
    "like_only_help": (
        "只保留与参照数字同口径、同范围、同类、时期相当的数字。",
        "Keep only figures of the same metric, measure and whole place as the reference, with matching periods.",
    ),
    "per_month": ("按月平均", "Per month"),
    "per_month_help": (
        "把有明确或推定时期的累计量（流量）除以时期的月数。",
        "Divides each flow with a stated or inferred period by the months of its period.",
    ),
    "per_month_caveat": (
        "按月平均只是把时期内的总数平均摊开，并非各月实际数；无明确时期或非流量的数字不显示。",
        "Per-month values spread each total evenly over its period: they are not monthly figures. "
        "Figures that are not flows, or whose period has no stated start, are left out.",
    ),
    "per_month_unit": ("/月", "/month"),
    "verdict_reference": ("参照", "reference"),
    "verdict_like": ("同口径可比", "like for like"),
    "verdict_unlike": ("不可直接比较：{reasons}", "not like for like: {reasons}"),
    "reason_different_definition": ("口径不同", "different definition"),
    "reason_different_measure": ("计量类型不同", "different measure"),
    "reason_part_of_place": ("只涉及部分区域", "part of the place"),
    "reason_plan_vs_outcome": ("计划与实绩", "plan vs outcome"),
    "reason_estimate": ("预计数", "estimate"),
    "reason_open_period": ("时期起点不明", "open period"),
    "reason_different_period": ("时期不同", "different period"),
    "reason_different_period_basis": ("时期依据不同（原文给出/推定）", "period stated vs inferred"),
    "verdict_summary": (
        "参照数字：{reference}。{like} 个数字与它同口径可比，{unlike} 个不可直接比较（不在图中，列于下方）。",
        "Reference: {reference}. {like} figure(s) are like for like with it; {unlike} are not (off the chart, "
        "listed below).",
    ),
    "left_out_not_like": (
        "已隐藏不可直接比较的数字：{places}",
        "Figures left out as not like for like: {places}",
    ),
    "scope_mark": ("仅{scope}", "only {scope}"),
    "open_period_mark": ("起点未说明", "start not stated"),
    "inferred_period_mark": ("时期为推定", "period inferred"),
    "evidence_title": ("证据矩阵：每个概念各地报告了什么", "Evidence: what each place reports on each concept"),
    "overview_section": ("查看", "Show"),
    "section_evidence": ("证据矩阵", "Evidence"),
    "section_charts": ("各类别图表", "Headline charts"),
    "section_coverage": ("数据覆盖", "Coverage"),
    "evidence_intro": (
        "每行一个概念，每列一个地方。格中为该地的数字（≥ 下限，≈ 约数），附时期与范围；点击数字查看原文。"
        "“未报告”不是零。",
        "One row per concept, one column per place: each cell holds the place's figures (≥ at least, ≈ about) "
        "with period and scope; click a figure for its quote. 'Not reported' is not zero.",
    ),
    "more_figures": ("另有 {n} 个数字", "{n} more figures"),
    # columns
    "col_comparable": ("可比性", "Comparable?"),
    "col_scope": ("范围", "Scope"),
    "col_period_basis": ("时期依据", "Period basis"),
    "whole_place": ("全域", "whole place"),
    "basis_stated": ("原文给出", "stated"),
    "basis_inferred": ("推定", "inferred"),
    "basis_open": ("起点不明", "open"),
    "col_place": ("地方", "Place"),
    "col_value": ("数值", "Value"),
    "col_value_base": ("基准单位数值", "Value (base unit)"),
    "col_as_written": ("原文写法", "As written"),
    "col_qualifier": ("限定", "Qualifier"),
    "col_period": ("时期", "Period"),
    "col_quote": ("原文", "Quote"),
    "col_source": ("来源", "Source"),
    "col_metric": ("指标", "Metric"),
    "col_note": ("备注（英文）", "Note"),
    "col_unit": ("单位", "Unit"),
    "col_change": ("变化", "Change"),
    "col_old": ("旧值", "Old value"),
    "col_new": ("新值", "New value"),
    "col_link": ("原文位置", "In source"),
    # profile
    "profile_intro": (
        "一个地方的全部数字，按类别排列，附时期、限定和原文。",
        "Every figure for one place, by category, with period, qualifier and quote.",
    ),
    "district": ("地方", "Place"),
    "headline_figures": ("各类别代表数字", "Headline figures"),
    "all_figures": ("全部数字", "All figures"),
    "compare_link": ("对比", "compare"),
    "source_link": ("看原文", "see in source"),
    "no_figures": ("此地方在本版本中没有数字。", "This place has no figures in this snapshot."),
    # sources
    "sources_intro": (
        "每篇报道的全文，已整理的数字在文中高亮；对比页和城区档案中的“看原文”链接会定位到这里。",
        "Each report in full, with every curated figure highlighted in the text.",
    ),
    "source": ("报道", "Report"),
    "publisher": ("发布者", "Publisher"),
    "published": ("发布日期", "Published"),
    "not_stated": ("原文未注明", "not stated in the text"),
    "period_note": ("时期说明（英文）", "About the period"),
    "full_text": ("全文", "Full text"),
    "highlighted_fact": ("定位的数字", "The figure you followed"),
    # changes
    "changes_intro": (
        "比较两个数据版本：新增、删除和修订的数字，附新旧数值与来源。",
        "Compare two snapshots: figures added, removed and revised, with old and new values and sources.",
    ),
    "from_snapshot": ("旧版本", "From snapshot"),
    "to_snapshot": ("新版本", "To snapshot"),
    "no_changes": ("两个版本的数字完全相同。", "The two snapshots hold the same figures."),
    "change_added": ("新增", "added"),
    "change_removed": ("删除", "removed"),
    "change_revised": ("修订", "revised"),
    "upload_title": ("检查一个快照文件（不会写入）", "Check a snapshot file (nothing is written)"),
    "upload_limits": (
        "最多 {mb} MB、{rows:,} 行；检查完即从服务器删除。更大的文件用命令行 redengine snapshot validate 检查。",
        "Up to {mb} MB and {rows:,} rows; the file is dropped from the server once checked. "
        "Check larger files with: redengine snapshot validate",
    ),
    "upload_ok": (
        "文件有效：{n} 个数字。用命令行 redengine snapshot add 添加。",
        "Valid: {n} figures. Add it with: redengine snapshot add",
    ),
    # get this data
    "get_data": ("获取这些数据", "Get this data"),
    "get_data_intro": (
        "下面的网址返回此处显示的数据（CSV；把 .csv 改为 .json 或 .parquet 可得其他格式），"
        "固定于数据版本 {snapshot}，日后不变。",
        "The URL below returns exactly what is shown here (CSV; change .csv to .json or .parquet for those formats), "
        "pinned to snapshot {snapshot}, so it returns the same data later.",
    ),
    "get_data_url": ("数据网址", "Data URL"),
    "get_data_pandas": ("用 Python pandas 读取", "Load it in Python (pandas)"),
    "get_data_r": ("用 R 读取", "Load it in R"),
    "get_data_cite": ("引用", "How to cite"),
    "get_data_package": (
        "下载整个数据版本（数据包：CSV、Parquet、datapackage.json、CITATION.cff 和原文）",
        "Download the whole snapshot (data package: CSV, Parquet, datapackage.json, CITATION.cff and the reports)",
    ),
    # sql
    "page_sql": ("SQL 查询", "SQL"),
    "sql_intro": (
        "对当前数据版本写一条只读 SELECT 查询。表：facts、districts、metrics、sources（列名与 CSV 相同）。"
        "限制：{seconds:g} 秒、{rows:,} 行、{memory} 内存；查询写在网址中，分享链接即可重跑。",
        "Write one read-only SELECT over the current snapshot. Tables: facts, districts, metrics, sources (the "
        "same columns as the CSVs). Limits: {seconds:g} s, {rows:,} rows, {memory} of memory. The query is in "
        "the URL, so a shared link reruns it.",
    ),
    "sql_query": ("SQL 查询", "SQL query"),
    "sql_rows": ("共 {n:,} 行", "Rows: {n:,}"),
    "sql_truncated": (
        "结果超过 {n:,} 行，只显示前 {n:,} 行。请加 LIMIT 或汇总。",
        "The result has more than {n:,} rows; the first {n:,} are shown. Add a LIMIT or aggregate.",
    ),
    "download_sql_csv": ("下载结果 CSV", "Download the result (CSV)"),
    # notices and errors
    "bad_param": (
        "链接参数 {name}={value} 无效，已改用默认值 {fallback}。",
        "The link's {name}={value} is not valid here; showing {fallback} instead.",
    ),
    "nothing_selected": ("不选定任何一项", "nothing selected"),
    "data_error": ("数据无法读取", "The data cannot be read"),
    # sharing: link previews, chart images, citation
    "share_app": ("红色引擎", "Red Engine"),
    "html_lang": ("zh-CN", "en"),  # <html lang>
    "og_locale": ("zh_CN", "en_US"),  # a link preview's og:locale
    "share_title_sep": ("：", ": "),
    "share_sources_sep": ("；", "; "),
    "share_source": ("来源：", "Source: "),
    "share_snapshot": ("数据版本 {snapshot}", "snapshot {snapshot}"),
    "share_more_places": ("等 {n} 地", "and {n} more"),
    "share_no_figures": ("无数据", "no figures"),
    "share_description": ("{places}。{periods}。数据版本 {snapshot}。", "{places}. {periods}. Snapshot {snapshot}."),
    "share_page_description": (
        "六个城区党建数字对比，每个数字附原文出处。数据版本 {snapshot}。",
        "Six places' Party-building figures side by side, each with its source sentence. Snapshot {snapshot}.",
    ),
    "share_png": ("下载 PNG", "Download PNG"),
    "share_svg": ("下载 SVG", "Download SVG"),
    "share_png_help": (
        "图片，适合大多数用途；图下印有来源与链接",
        "An image for most uses, with the source and link below the chart",
    ),
    "share_svg_help": ("矢量图，适合印刷", "A vector image, for print"),
    "share_copy_link": ("复制链接", "Copy link"),
    "share_link_copied": ("已复制", "Copied"),
    "share_cite": ("引用", "Cite"),
    "share_phone_hint": ("长按图片即可保存或转发。", "Long-press the image to save or forward it."),
    "share_unavailable": (
        "此服务器无法生成图表图片（缺少 Chromium）。链接和引用仍可使用。",
        "This server cannot make chart images (Chromium is missing). The link and citation still work.",
    ),
    "share_citation": (
        "{title}。{places}。红色引擎数据版本 {snapshot}（{date}）。{url}。来源：{sources}。",
        "{title}. {places}. Red Engine, snapshot {snapshot} ({date}). {url}. Sources: {sources}.",
    ),
    "share_top_shown": ("图中为最高的 {n} 地（共 {total} 地）", "the {n} highest of {total} places shown"),
    # categories
    "cat_organizations": ("党组织", "Party organizations"),
    "cat_volunteers": ("志愿服务", "Volunteers"),
    "cat_service_centers": ("服务阵地", "Service centers"),
    "cat_investment": ("招商投资", "Investment"),
    "cat_economy": ("经济", "Economy"),
    "cat_governance": ("基层治理", "Governance"),
    # qualifiers
    "q_exact": ("确数", "exact"),
    "q_at_least": ("以上（下限）", "at least"),
    "q_approx": ("约数", "about"),
    "q_estimate": ("预计", "estimate"),
    "q_target": ("目标", "target"),
    # levels
    "level_district": ("区", "district"),
    "level_city": ("市", "city"),
    # how values, lists and places are written
    "list_separator": ("、", ", "),
    "place_location": ("{city} · {province}", "{city}, {province}"),
    "value_with_unit": ("{number}{unit}", "{number} {unit}"),
    "value_times": ("{number}倍", "{number}×"),
    "money": ("{number}{scale}{currency}", "{currency} {number}{scale}"),
    "axis_money": ("{scale}{currency}", "{currency} {scale}"),
    "axis_tick_format": (",", "~s"),  # Plotly's d3 format: 亿/万 are not SI prefixes, so Chinese axes spell numbers out
    # qualifier marks beside a value ("≥ 200", "1,060亿元（预计）")
    "mark_exact": ("{value}", "{value}"),
    "mark_at_least": ("≥ {value}", "≥ {value}"),
    "mark_approx": ("≈ {value}", "≈ {value}"),
    "mark_estimate": ("{value}（预计）", "{value} est."),
    "mark_target": ("{value}（目标）", "{value} target"),
    # units: as a value or axis reads them ("unit_"), and as a column heading names them ("unit_name_")
    "unit_count": ("", ""),
    "unit_name_count": ("个", "count"),
    "unit_people": ("人", "people"),
    "unit_person_times": ("人次", "person-times"),
    "unit_households": ("户", "households"),
    "unit_percent": ("%", "%"),
    "unit_m2": ("平方米", "m²"),
    "unit_km": ("公里", "km"),
    "unit_days": ("天", "days"),
    "unit_years": ("年", "years"),
    "unit_times": ("倍", "×"),
    "unit_CNY": ("元", "CNY"),
    "unit_USD": ("美元", "USD"),
    # --- #23 analysts add figures safely: the upload box's verdict, each provenance rule by name ---
    "upload_refused": ("{n} 个问题，未写入任何内容：", "{n} problem(s), nothing was written:"),
    "rule_source_text": ("来源没有原文", "Source has no text"),
    "rule_quote_in_source": ("引文不在来源原文中", "Quote not in its source"),
    "rule_quote_in_its_source": ("引文出自另一份报告", "Quote from another report"),
    "rule_written_in_quote": ("原文写法不在引文中", "Figure as written not in the quote"),
    "rule_written_once": ("引文中该数字出现不止一次", "Figure appears more than once in the quote"),
    "rule_written_readable": ("原文写法无法读作数字", "Figure as written cannot be read"),
    "rule_value_is_written": ("数值与原文写法不符", "Value is not the figure as written"),
    "rule_unit_fits_metric": ("单位与指标不符", "Unit does not fit the metric"),
    "rule_qualifier_agrees": ("限定词与原文不符", "Qualifier disagrees with the text"),
    "rule_period_possible": ("时期晚于报告", "Period after the report"),
    # issue 25: the view in a link preview and in the first view the server paints before the app starts
    "share_figure": ("{name} {value}（{period}）", "{name} {value} ({period})"),
    "share_figure_judged": ("{name} {value}（{period}，{verdict}）", "{name} {value} ({period}, {verdict})"),
    "share_more_figures": ("等 {n} 项", "and {n} more"),
    "share_figures_description": ("{figures}。数据版本 {snapshot}。", "{figures}. Snapshot {snapshot}."),
    "first_view_nav": ("页面", "Pages"),
    "first_view_scale": ("条长按同一定义的最大值缩放", "Bars are scaled to the largest figure of the same definition"),
    "first_view_api": ("此视图的数据（CSV）", "This view's data (CSV)"),
    "first_view_api_json": ("JSON", "JSON"),
    "first_view_loading": ("正在加载交互页面……", "Loading the interactive page…"),
    "first_view_no_script": (
        "交互页面需要 JavaScript；以下为此链接所示数据。",
        "The interactive page needs JavaScript; below are the figures this link shows.",
    ),
    "first_view_no_script_page": (
        "交互页面需要 JavaScript；以下为此页的来源和数据链接。",
        "The interactive page needs JavaScript; below are this page's sources and a link to its data.",
    ),
    # -- #22 only like with like: verdict reasons, per-unit views, off-axis figures, families, "What can be compared"
    "reason_different_level": ("地方层级不同（市与区）", "different level of place (city vs district)"),
    "reason_different_size": (
        "地方规模不同（街道数相差一半以上，未按单位调整）",
        "different size of place (sub-districts differ by more than half; no per-unit view)",
    ),
    "reason_outside_set": (
        "与同组其他数字在时间或规模上相距太远",
        "too far in date or size from the others of the like-for-like set",
    ),
    "no_denominators": (
        "“{per}”：所选地方都没有在其数字前后一年内给出这一分母，无法调整。请选“原数”或其他单位。",
        "“{per}”: none of the chosen places prints this denominator within a year of its figure, so nothing can "
        "be adjusted. Choose “As printed” or another unit.",
    ),
    "reason_no_denominator": (
        "此视图的分母（街道、社区或党员数）在该数字前后一年内未见报告",
        "no denominator for this view (its sub-districts, communities or Party members) printed within a year of it",
    ),
    "per": ("按单位", "Per unit"),
    "per_none": ("原数", "As printed"),
    "per_subdistrict": ("每个街道", "Per sub-district"),
    "per_community": ("每个社区", "Per community"),
    "per_member": ("每百名党员", "Per 100 Party members"),
    "per_unit_subdistrict": ("/街道", " per sub-district"),
    "per_unit_community": ("/社区", " per community"),
    "per_unit_member": ("/百名党员", " per 100 Party members"),
    "per_help": (
        "把各地数字除以同一地方在可比时间窗内（一年内）报道的街道数、社区数或党员数；只保留有此分母的地方。",
        "Divides each place's figure by the same place's printed count of sub-districts, communities or Party "
        "members dated within the like-for-like window (a year); places without that figure are left out.",
    ),
    "denominator_subdistrict": ("{n:,.0f} 个街道（原文“{written}”）", "{n:,.0f} sub-districts (written {written})"),
    "denominator_community": ("{n:,.0f} 个社区（原文“{written}”）", "{n:,.0f} communities (written {written})"),
    "denominator_member": ("{n:,.0f} 名党员（原文“{written}”）", "{n:,.0f} Party members (written {written})"),
    "adjustment_title": ("计算方法", "How the adjusted figures are computed"),
    "adjustment_formula": (
        "{place}：{value}（{period}）÷ {denominator}（{denominator_period}）{times} = {result}"
        " · 原文：“{quote}”；“{denominator_quote}”",
        "{place}: {value} ({period}) ÷ {denominator} ({denominator_period}){times} = {result}"
        " · quotes: “{quote}”; “{denominator_quote}”",
    ),
    "adjustment_formula_short": (
        "{place}：{value} ÷ {denominator}{times} = {result}",
        "{place}: {value} ÷ {denominator}{times} = {result}",
    ),
    "col_value_adjusted": ("{per}", "{per}"),
    "only_one_place_short": ("只有一个地方报告", "only one place reports it"),
    "col_denominator": ("分母（原文）", "Denominator (as written)"),
    "col_denominator_period": ("分母时期", "Denominator period"),
    "col_denominator_quote": ("分母原文", "Denominator quote"),
    "off_axis_marker": ("不可比，另列", "not like for like (listed apart)"),
    "off_axis_warning": (
        "以下数字不在图中：与参照数字不可直接比较。{figures}",
        "Not on this chart, because not like for like with the reference: {figures}",
    ),
    "caveats": ("须知：{notes}", "Caveats: {notes}"),
    "related_title": (
        "同一类的其他口径：定义不同，各自单列，不与上图同轴",
        "Related definitions of this family: each on its own, never on this axis",
    ),
    "family": ("类目", "Family"),
    "evidence_family_reach": (
        "{places} / {total} 地报告此类；同一定义最多 {n} 地",
        "{places} of {total} places report it; at most {n} in one definition",
    ),
    "headline_no_comparison": (
        "报道中没有此类别可同口径比较的数字（{reasons}）。各地报告的是：",
        "The reports support no like-for-like comparison in this category ({reasons}). What each place reports:",
    ),
    "headline_like_places": (
        "同口径可比：{n} 地（相同定义、时间相近、层级与规模相当）",
        "Like for like: {n} places (same definition, near in date, same level and size)",
    ),
    "page_comparable": ("可比什么", "What can be compared"),
    "comparable_intro": (
        "两个地方（或一地与其他所有地方）之间，哪些概念可以同口径比较、哪些需按单位调整后才可比、哪些只是相关。"
        "每项都可在对比页打开。",
        "For two places (or one place against all others): the concepts they compare like for like, those "
        "comparable after a per-unit adjustment, and those only related. Each opens in Compare.",
    ),
    "comparable_place": ("地方", "Place"),
    "comparable_other": ("对比对象", "Against"),
    "comparable_all": ("其他所有地方", "All other places"),
    "comparable_like": ("同口径可比", "Like for like"),
    "comparable_adjusted": ("按单位调整后可比", "Comparable after an adjustment"),
    "comparable_related": ("仅相关（同一定义但不可直接比较，或同类不同定义）", "Related only"),
    "comparable_none_like": (
        "无：没有一对定义相同、日期相近、范围相同的数字。",
        "None: no pair of figures of one definition, close in date and of the same scope.",
    ),
    "comparable_none_adjusted": (
        "无。调整（按月、按街道、按社区、按百名党员）只消除时期长短或规模的差别，不消除日期、定义或口径的差别；"
        "本快照中没有一对数字只差在这一点上。",
        "None. An adjustment (per month, per sub-district, per community, per 100 Party members) divides out a "
        "difference of length or size, not of date, definition or scope; no pair of figures in this snapshot "
        "differs only in that.",
    ),
    "comparable_none_related": ("无。", "None."),
    "comparable_same_place": ("请选择两个不同的地方。", "Choose two different places."),
    # --- #24 phones and assistive technology: chart text alternatives, folded controls, SQL Run ---
    "chart_text_intro": ("柱状图：{what}，{n} 个地方。", "Bar chart: {what}; places: {n}. "),
    "chart_text_figure": ("{place}：{figure}", "{place}: {figure}"),
    "chart_text_parts_sep": ("，", ", "),
    "chart_text_figures_sep": ("；", "; "),
    "chart_text_end": ("。", "."),
    "chart_text_periods_differ": ("各数字时期不同：{periods}。", " The periods differ: {periods}."),
    "chart_text_definitions_differ": (
        "各数字口径不同，不可直接比较。",
        " The figures follow different definitions: not like for like.",
    ),
    "figures_with_quotes": ("各数字及原文", "Each figure with its quote"),
    "coverage_text_intro": (
        "热力图：各地每类报告的数字个数，{n} 个地方。",
        "Heatmap: how many figures each place reports per category; places: {n}. ",
    ),
    "coverage_text_cell": ("{category} {figures}", "{category} {figures}"),
    "chart_as_table": ("以表格查看图中数据", "The chart's figures as a table"),
    "change_view": ("更改此视图", "Change this view"),
    "sql_run": ("运行", "Run"),
    "report_text_region": ("报道全文（可滚动）", "Full text of the report (scrolls)"),
    "evidence_region": ("证据表（可滚动）", "Evidence table (scrolls)"),
    "places_strip": ("地方", "Places"),
}

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}  # each in its own language, as a language menu shows them
HTML_LANG = {"zh": "zh-CN", "en": "en"}  # the lang attribute of a text in each language (BCP 47)
# A label that must be one character wide (a column of a chart on a phone): Chinese is written top to
# bottom, one character a line, upright; English is turned on its side. (stacked, angle in degrees)
NARROW_LABELS = {"zh": (True, 0), "en": (False, -90)}

# Money is written in the reader's own large units: 亿 (1e8) and 万 (1e4) in Chinese, with enough
# decimals that a figure printed to the 万 (12560万美元, 15.04亿元) is shown as printed, never rounded
# to a different number; bn, m and k in English. (divisor, scale word, decimals), largest first.
MONEY_SCALES: dict[str, tuple[tuple[float, str, int], ...]] = {
    "zh": ((1e8, "亿", 4), (1e4, "万", 2)),
    "en": ((1e9, " bn", 3), (1e6, " m", 3), (1e3, " k", 3)),
}

_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}
# Period labels are stored in English ('2018 Q1', 'as of 2020-06-30'); each rule writes one form in Chinese.
_PERIOD_RULES_ZH: tuple[tuple[str, Callable[[re.Match], str]], ...] = (
    (r"(\d{4})", lambda m: f"{m[1]}年"),
    (r"(\d{4})–(\d{4})", lambda m: f"{m[1]}–{m[2]}年"),
    (r"(\d{4}) Q([1-4])", lambda m: f"{m[1]}年第{_QUARTERS[m[2]]}季度"),
    (r"(\d{4}) H([12])", lambda m: f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"),
    (r"(\d{4}) ([A-Z][a-z]{2})", lambda m: f"{m[1]}年{_MONTHS[m[2]]}月"),
    (r"(\d{4}) ([A-Z][a-z]{2})–([A-Z][a-z]{2})", lambda m: f"{m[1]}年{_MONTHS[m[2]]}–{_MONTHS[m[3]]}月"),
    (r"(\d{4})-(\d{2})-(\d{2})", lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日"),
    (r"end-(\d{4})", lambda m: f"{m[1]}年底"),
    (r"(\d{4}) census", lambda m: f"{m[1]}年人口普查"),
    (r"as of (.+)", lambda m: f"截至{period_text(m[1], 'zh')}"),
    (r"cumulative to (.+)", lambda m: f"累计至{period_text(m[1], 'zh')}"),
    (r"(.+) \(cumulative\)", lambda m: f"{period_text(m[1], 'zh')}（累计）"),
    (r"(\d{4}) year-end to (.+)", lambda m: f"{m[1]}年底至{period_text(m[2], 'zh')}"),
)
PERIOD_RULES = {"zh": _PERIOD_RULES_ZH, "en": ()}


def t(key: str, lang: str, **values: object) -> str:
    text = LABELS[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text


def column(base: str, lang: str) -> str:
    """The name of the column holding `base` in the reader's language: name → name_zh or name_en."""
    return f"{base}_{lang}"


def localized(record: object, base: str, lang: str) -> str:
    """A record's text in the reader's language: `name` → name_zh or name_en."""
    return record[column(base, lang)]


def other_language(lang: str) -> str:
    """The language not chosen: a place's name is shown in both."""
    return LANGUAGES[1 - LANGUAGES.index(lang)]


def list_join(items: Iterable[str], lang: str) -> str:
    """Items as a list in running text: '、' between Chinese items, ', ' between English ones."""
    return t("list_separator", lang).join(items)


def narrow_label(text: str, lang: str) -> tuple[str, int]:
    """`text` as a one-character-wide label: the text (with Plotly's <br> between stacked characters) and
    the angle to draw it at."""
    stacked, angle = NARROW_LABELS[lang]
    return ("<br>".join(text) if stacked else text), angle


def category_name(category: str, lang: str) -> str:
    return t(f"cat_{category}", lang) if f"cat_{category}" in LABELS else category


def qualifier_name(qualifier: str, lang: str) -> str:
    return t(f"q_{qualifier}", lang)


def period_text(label: str | None, lang: str) -> str:
    """A period label as the reader's language writes it ('2018 Q1' → '2018年第一季度')."""
    if not isinstance(label, str):
        return ""
    for pattern, render in PERIOD_RULES[lang]:
        match = re.fullmatch(pattern, label)
        if match:
            return render(match)
    return label


def language_from_locale(locale: str | None) -> str:
    """The browser's language when it is Chinese, else English."""
    return "zh" if (locale or "").lower().startswith("zh") else "en"
