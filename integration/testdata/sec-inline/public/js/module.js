export const marker = "SEC-INLINE-MODULE";
