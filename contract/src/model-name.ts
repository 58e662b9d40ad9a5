import { z } from "zod";

/** Names of models, versions aliases: safe as object-store keys and URL path segments. */
export const modelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, "use 1-63 characters of a-z, A-Z, 0-9, '.', '_' or '-', starting with a letter or digit");
