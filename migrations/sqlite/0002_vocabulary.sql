-- The platform's seeded vocabularies (admins may add domains later).
INSERT INTO domains (slug, label_en, label_zh, builtin, created_at) VALUES
    ('artificial-intelligence', 'Artificial intelligence', '人工智能', TRUE, 0),
    ('big-data', 'Big data', '大数据', TRUE, 0),
    ('cloud-computing', 'Cloud computing', '云计算', TRUE, 0),
    ('internet-of-things', 'Internet of things', '物联网', TRUE, 0),
    ('industrial-internet', 'Industrial internet', '工业互联网', TRUE, 0),
    ('smart-construction', 'Smart construction', '智能建造', TRUE, 0),
    ('elderly-care', 'Elderly care', '养老护理', TRUE, 0),
    ('domestic-services', 'Domestic services', '家政服务', TRUE, 0),
    ('childcare', 'Childcare', '托育服务', TRUE, 0),
    ('e-commerce', 'E-commerce', '电子商务', TRUE, 0),
    ('logistics', 'Logistics', '现代物流', TRUE, 0),
    ('agriculture', 'Agriculture', '现代农业', TRUE, 0),
    ('handicrafts', 'Handicrafts', '传统手工艺', TRUE, 0),
    ('entrepreneurship', 'Entrepreneurship', '创业培训', TRUE, 0),
    ('employment-skills', 'Employment skills', '就业技能', TRUE, 0);

INSERT INTO target_groups (slug, label_en, label_zh) VALUES
    ('graduates', 'Graduates', '高校毕业生'),
    ('veterans', 'Veterans', '退役军人'),
    ('migrant-workers', 'Migrant workers', '农民工'),
    ('poverty-alleviation', 'People lifted out of poverty', '脱贫人口'),
    ('disabilities', 'People with disabilities', '残疾人'),
    ('unemployed', 'Unemployed people', '失业人员'),
    ('rural', 'Rural learners', '农村劳动力'),
    ('employees', 'Employees', '企业职工');
