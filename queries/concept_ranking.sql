-- grain: one row per place that reports one concept (any metric of it, or one), with its latest value (the highest of its latest period), highest first
-- params: $snapshot_id, $concept_id, $metric_id (null for every metric of the concept)
select
    f.district_id,
    arg_max(f.value, (f.period_end, f.value)) as latest_value,
from facts as f
join metrics as m using (metric_id)
where f.snapshot_id = $snapshot_id and m.concept_id = $concept_id
    and ($metric_id is null or f.metric_id = $metric_id)
group by f.district_id
order by latest_value desc, f.district_id
