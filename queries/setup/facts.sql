-- grain: one row per figure of every listed snapshot, in two views over the same rows: `facts` reads the files sorted by metric, `facts_by_place` the copies sorted by place
-- params: none (views over the files the manifest lists; snapshot_id comes from snapshot_files, so a filter on it opens one file)
create macro fact_id(district_id, metric_id, period_start, period_end) as
    substr(md5(concat_ws('|', district_id, metric_id, period_start, period_end)), 1, 10);

create view facts as
select
    f.* exclude (filename) replace (s.snapshot_id as snapshot_id),
    fact_id(f.district_id, f.metric_id, f.period_start, f.period_end) as fact_id,
from facts_by_metric_files as f
join snapshot_files as s on s.by_metric = f.filename;

create view facts_by_place as
select
    f.* exclude (filename) replace (s.snapshot_id as snapshot_id),
    fact_id(f.district_id, f.metric_id, f.period_start, f.period_end) as fact_id,
from facts_by_place_files as f
join snapshot_files as s on s.by_place = f.filename;
