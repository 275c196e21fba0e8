export { callRedis, redisError } from '../../contracts/redis-errors.js';
