-- The delivery ID in SQL, identical to deliveryIdFor() in src/ids.ts: "dlv_" + Crockford base32 of
-- the first 16 bytes of SHA-256(eventId NUL subscriptionId). With it, ingest stores an event and its
-- whole fan-out plan in one statement (one round trip), without first asking which subscriptions match.
CREATE FUNCTION hookflow_delivery_id(event_id text, subscription_id text) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
  digest bytea := substring(sha256(convert_to(event_id, 'UTF8') || '\x00'::bytea || convert_to(subscription_id, 'UTF8')) FROM 1 FOR 16);
  alphabet constant text := '0123456789abcdefghjkmnpqrstvwxyz';
  result text := 'dlv_';
  buffer integer := 0;
  bits integer := 0;
BEGIN
  FOR i IN 0..15 LOOP
    -- Only the low `bits` bits are ever read; masking keeps the integer small.
    buffer := ((buffer << 8) | get_byte(digest, i)) & 65535;
    bits := bits + 8;
    WHILE bits >= 5 LOOP
      result := result || substr(alphabet, ((buffer >> (bits - 5)) & 31) + 1, 1);
      bits := bits - 5;
    END LOOP;
  END LOOP;
  IF bits > 0 THEN
    result := result || substr(alphabet, ((buffer << (5 - bits)) & 31) + 1, 1);
  END IF;
  RETURN result;
END
$$;
