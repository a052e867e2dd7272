-- grain: one row per metric of one snapshot: how many places and figures report it
-- params: $snapshot_id
insert into metric_reach
select $snapshot_id, metric_id, count(distinct district_id), count(*),
from facts
where snapshot_id = $snapshot_id
group by metric_id
