-- grain: one row per figure of every listed snapshot, in two views over the same rows: `facts` reads the files sorted by metric, `facts_by_place` the copies sorted by place
-- params: none (views over the files the manifest lists; snapshot_id comes from snapshot_files, so a filter on it opens one file)
create view stored_facts as
select
    f.* exclude (filename) replace (
        s.snapshot_id as snapshot_id,
        coalesce(f.period_basis, 'stated') as period_basis,
    ),
    substr(md5(concat_ws('|', f.district_id, f.metric_id, f.period_start, f.period_end)), 1, 10) as fact_id,
    s.sorted_by,
from stored_facts_files as f
join snapshot_files as s on s.file = f.filename;

create view facts as select * exclude (sorted_by) from stored_facts where sorted_by = 'metric';

create view facts_by_place as select * exclude (sorted_by) from stored_facts where sorted_by = 'place';
