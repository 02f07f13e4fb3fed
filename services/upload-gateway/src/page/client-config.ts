// What the server hands the page's script, as JSON in <script type="application/json">. Types
// only: the browser bundle imports this file for type-checking and nothing else.
import type { MediaCategory } from '@uplink/contracts/media-types';
import type { Messages } from './messages/en.ts';

export type PageLocale = 'en' | 'de' | 'fr' | 'es' | 'pt-BR' | 'it' | 'nl';

export const CONFIG_ELEMENT_ID = 'uplink-config';

export type ClientConfig = {
  locale: PageLocale;
  /** Largest file in bytes, for each category the tenant allows (absent: not allowed). */
  limits: Partial<Record<MediaCategory, number>>;
  /** How many files and recordings one submission may hold. */
  maxFiles: number;
  /** The most one submission may hold in bytes, all files together. */
  maxTotalBytes: number;
  /** Where the segmentation model and its wasm are served, ending in `/`. */
  segmentationBase: string;
  messages: Messages['client'];
};
