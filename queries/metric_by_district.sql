-- grain: one row per chosen place and reported period of one metric; a place that does not report it gets one row with a null value ("not reported", never 0)
-- params: $snapshot_id, $metric_id, $district_ids (list of ids)
with chosen as (
    select d.* from districts as d
    semi join (select unnest($district_ids) as district_id) as wanted using (district_id)
),

reported as (
    select * from facts where snapshot_id = $snapshot_id and metric_id = $metric_id
)

select
    c.district_id,
    c.name_zh,
    c.name_en,
    r.value,
    r.qualifier,
    r.period_start,
    r.period_end,
    r.period_label,
    r.value_as_written,
    r.quote,
    r.note,
    r.source_id,
    r.fact_id,
    s.title_zh as source_title_zh,
    s.title_en as source_title_en,
from chosen as c
left join reported as r using (district_id)
left join sources as s on s.source_id = r.source_id
order by c.name_en, c.district_id, r.period_end, r.period_start
