-- grain: the concepts table (each with its family), and every metric with its concept and measure, older data included
-- params: none (a data directory or snapshot written before concepts existed: each metric is a concept of its own, measured as a stock; written before families existed: each concept is a family of its own)
create table if not exists concepts (
    concept_id varchar, category varchar, name_zh varchar, name_en varchar, description_en varchar
);

alter table concepts add column if not exists family_id varchar;

alter table concepts add column if not exists family_zh varchar;

alter table concepts add column if not exists family_en varchar;

alter table metrics add column if not exists concept_id varchar;

alter table metrics add column if not exists measure varchar;

update metrics set
    concept_id = coalesce(concept_id, metric_id),
    measure = coalesce(measure, 'stock')
where concept_id is null or measure is null;

insert into concepts (concept_id, category, name_zh, name_en, description_en)
select distinct on (m.concept_id) m.concept_id, m.category, m.name_zh, m.name_en, m.description_en,
from metrics as m
anti join concepts as c using (concept_id)
order by m.concept_id, m.metric_id;

update concepts set
    family_id = coalesce(family_id, concept_id),
    family_zh = coalesce(family_zh, name_zh),
    family_en = coalesce(family_en, name_en)
where family_id is null or family_zh is null or family_en is null;
