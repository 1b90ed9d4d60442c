import { z } from 'zod';

/**
 * What WooCommerce REST API keys look like (WooCommerce → Settings → Advanced → REST API): one check for
 * the API (`PUT /v1/stores/:id/rest-credentials`) and the command line, so both refuse the same keys
 * with the same words.
 */
export const restCredentialsSchema = z
  .object({
    consumer_key: z.string().regex(/^ck_[A-Za-z0-9]{8,100}$/, 'must be a WooCommerce consumer key, ck_ followed by letters and digits'),
    consumer_secret: z.string().regex(/^cs_[A-Za-z0-9]{8,100}$/, 'must be a WooCommerce consumer secret, cs_ followed by letters and digits'),
  })
  .strict();
