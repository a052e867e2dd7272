-- grain: one row per (place, metric, period) added, removed or revised between two snapshots, kept per pair
-- params: $old_snapshot_id, $new_snapshot_id
insert into snapshot_changes
with old as (
    select * from facts where snapshot_id = $old_snapshot_id
),

new as (
    select * from facts where snapshot_id = $new_snapshot_id
),

paired as (
    select
        coalesce(n.district_id, o.district_id) as district_id,
        coalesce(n.metric_id, o.metric_id) as metric_id,
        coalesce(n.period_label, o.period_label) as period_label,
        coalesce(n.period_end, o.period_end) as period_end,
        case
            when o.district_id is null then 'added'
            when n.district_id is null then 'removed'
            else 'revised'
        end as change,
        o.value as old_value,
        n.value as new_value,
        o.qualifier as old_qualifier,
        n.qualifier as new_qualifier,
        o.value_as_written as old_value_as_written,
        n.value_as_written as new_value_as_written,
        o.quote as old_quote,
        n.quote as new_quote,
        o.source_id as old_source_id,
        n.source_id as new_source_id,
    from old as o
    full outer join new as n
        on o.district_id = n.district_id
        and o.metric_id = n.metric_id
        and o.period_start is not distinct from n.period_start  -- null when the period is open
        and o.period_end = n.period_end
    where o.district_id is null
        or n.district_id is null
        or o.value is distinct from n.value
        or o.qualifier is distinct from n.qualifier
        or o.value_as_written is distinct from n.value_as_written
        or o.quote is distinct from n.quote
        or o.source_id is distinct from n.source_id
)

select $old_snapshot_id, $new_snapshot_id, paired.*, from paired
