-- grain: one row per figure of every listed snapshot, with a short stable id for links
-- params: none (a view over the snapshot files the manifest lists)
create view facts as
select
    facts_files.*,
    substr(md5(concat_ws('|', district_id, metric_id, period_start, period_end)), 1, 10) as fact_id,
from facts_files
