# RLTest 0.7's existing-env ignores the protocol a test's Env asks for (test_resp3's `Env(protocol=3)` would run
# on RESP2, on both servers): connect with it.
try:
    import redis
    from RLTest import exists_redis

    _init = exists_redis.ExistsRedisEnv.__init__

    def _init_with_protocol(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        self.protocol = kwargs.get("protocol") or 2

    def _connection(self, shardId=1):
        return redis.StrictRedis(self.host, self.port, password=self.password,
                                 decode_responses=self.decodeResponses, protocol=self.protocol)

    exists_redis.ExistsRedisEnv.__init__ = _init_with_protocol
    exists_redis.ExistsRedisEnv.getConnection = _connection
except ImportError:
    pass
