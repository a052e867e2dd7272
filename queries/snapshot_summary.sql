-- grain: one row per snapshot id among the given ones: figures, places and metrics it holds
-- params: $snapshot_ids (list)
-- summaries: district_source_figures, metric_reach
with by_metric as (
    select snapshot_id, sum(figures)::bigint as figures, count(*) as metrics,
    from metric_reach where list_contains($snapshot_ids, snapshot_id) group by snapshot_id
),

by_place as (
    select snapshot_id, count(distinct district_id) as places,
    from district_source_figures where list_contains($snapshot_ids, snapshot_id) group by snapshot_id
)

select m.snapshot_id, m.figures, p.places, m.metrics,
from by_metric as m
join by_place as p using (snapshot_id)
