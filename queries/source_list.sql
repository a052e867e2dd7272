-- grain: one row per report, with its metadata and how many figures of the snapshot cite it
-- params: $snapshot_id
-- summaries: district_source_figures
with cited as (
    select source_id, sum(figures)::bigint as figures, string_agg(district_id, ',' order by district_id) as district_ids,
    from district_source_figures where snapshot_id = $snapshot_id group by source_id
)

select
    s.*,
    coalesce(c.figures, 0) as figures,
    c.district_ids,
from sources as s
left join cited as c using (source_id)
order by s.source_id
