-- grain: one row per place and report of one snapshot with at least one figure
-- params: $snapshot_id
insert into district_source_figures
select $snapshot_id, district_id, source_id, count(*),
from facts
where snapshot_id = $snapshot_id
group by district_id, source_id
