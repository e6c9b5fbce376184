/**
 * A bucket's CORS configuration (OSS PutBucketCors doc): rules tried in order, the first
 * whose origin, method and headers all match answers. Stored with the bucket (the
 * nullable `cors` column of `buckets`, as JSON).
 */
export interface CorsRule {
  /** Origins; each may hold one `*` wildcard. */
  allowedOrigins: string[];
  /** Upper-case: GET, PUT, DELETE, POST, HEAD. */
  allowedMethods: string[];
  /** Request headers a preflight may ask for; each may hold one `*` wildcard. */
  allowedHeaders: string[];
  /** Response headers the browser may show to scripts. */
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface CorsConfiguration {
  rules: CorsRule[];
  /** ResponseVary: send `Vary: Origin` with CORS answers. */
  responseVary: boolean;
}
