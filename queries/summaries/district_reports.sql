-- grain: one row per place with figures in one snapshot: how many, and the reports and periods they come from
-- params: $snapshot_id
insert into district_reports
with per_source as (
    select district_id, source_id, count(*) as figures,
    from facts
    where snapshot_id = $snapshot_id
    group by district_id, source_id
)

select
    $snapshot_id,
    f.district_id,
    sum(f.figures)::bigint,
    string_agg(s.title_zh, ' / ' order by s.source_id),
    string_agg(s.title_en, ' / ' order by s.source_id),
    string_agg(s.period_label, ' / ' order by s.source_id),
    string_agg(s.source_id, ',' order by s.source_id),
from per_source as f
join sources as s using (source_id)
group by f.district_id
