-- grain: one row per place that reports one metric, with the value of its latest period, highest first
-- params: $snapshot_id, $metric_id
select
    district_id,
    arg_max(value, period_end) as latest_value,
from facts
where snapshot_id = $snapshot_id and metric_id = $metric_id
group by district_id
order by latest_value desc, district_id
