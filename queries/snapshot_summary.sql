-- grain: one row per snapshot id among the given ones: figures, places and metrics it holds
-- params: $snapshot_ids (list)
select
    snapshot_id,
    count(*) as figures,
    count(distinct district_id) as places,
    count(distinct metric_id) as metrics,
from facts
where list_contains($snapshot_ids, snapshot_id)
group by snapshot_id
