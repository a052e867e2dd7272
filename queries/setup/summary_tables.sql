-- grain: empty per-snapshot summary tables, filled by queries/summaries/*.sql the first time a snapshot is queried
-- params: none
create table metric_reach (snapshot_id varchar, metric_id varchar, places_reporting bigint, figures bigint);
create table district_category_figures (snapshot_id varchar, district_id varchar, category varchar, figures bigint);
create table district_source_figures (snapshot_id varchar, district_id varchar, source_id varchar, figures bigint);
