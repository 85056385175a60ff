/// <reference types="vite/client" />
declare const __API_PATHS__: string[];
