//! JSONPath and RedisJSON's legacy paths (to come).
