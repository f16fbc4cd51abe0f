-- A large revocation is materialized as shards: id ranges of one phase that any worker can take,
-- so several `credauth worker` processes drain one enterprise together. The revocation succeeds
-- when its last shard is done.
create table revocation_shards (
  revocation_id bigint not null references revocations (id) on delete cascade,
  shard integer not null,
  phase text not null check (phase in ('authorizations', 'credentials')),
  -- The shard covers ids in (after_id, through_id].
  after_id bigint not null,
  through_id bigint not null,
  done boolean not null default false,
  primary key (revocation_id, shard)
)
