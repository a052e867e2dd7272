-- grain: empty per-snapshot summary tables, filled by queries/summaries/*.sql the first time a snapshot is queried
-- params: none
create table metric_reach (snapshot_id varchar, metric_id varchar, places_reporting bigint, figures bigint);
create table district_category_figures (snapshot_id varchar, district_id varchar, category varchar, figures bigint);
create table district_source_figures (snapshot_id varchar, district_id varchar, source_id varchar, figures bigint);
create table category_leaders (
    snapshot_id varchar, category varchar, concept_id varchar, metric_id varchar, district_id varchar, value double,
    qualifier varchar, period_label varchar, value_as_written varchar, quote varchar, scope_zh varchar, scope_en varchar
);
create table snapshot_changes (
    old_snapshot_id varchar, new_snapshot_id varchar, district_id varchar, metric_id varchar, period_label varchar,
    period_end date, change varchar, old_value double, new_value double, old_qualifier varchar, new_qualifier varchar,
    old_value_as_written varchar, new_value_as_written varchar, old_quote varchar, new_quote varchar,
    old_source_id varchar, new_source_id varchar
);
create table district_reports (
    snapshot_id varchar, district_id varchar, figures bigint, report_titles_zh varchar, report_titles_en varchar,
    report_periods varchar, source_ids varchar
);
create table concept_reach (
    snapshot_id varchar, concept_id varchar, places_reporting bigint, figures bigint, metrics bigint,
    reference_metric_id varchar
);
