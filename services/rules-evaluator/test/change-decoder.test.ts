// The evaluator's choice of decoder by SYNCLINE_CHANGE_FORMAT, and the registry lookup the Avro
// decoder is given: Apicurio's v2 `GET /ids/globalIds/<id>` against a local HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AvroCdcDecoder, CdcDecoder } from '@syncline/cdc';
import { apicurioSchemaFetch, changeFormatFor } from '../src/change-decoder';

describe('change format', () => {
  it('decodes JSON by default and Avro when configured', () => {
    expect(changeFormatFor({ changeFormat: 'json', avroRegistryUrl: null }).decoder).toBeInstanceOf(
      CdcDecoder,
    );
    const avro = changeFormatFor({
      changeFormat: 'avro',
      avroRegistryUrl: 'http://127.0.0.1:1/apis/registry/v2',
    });
    expect(avro.decoder).toBeInstanceOf(AvroCdcDecoder);
  });

  it('passes JSON notification values through unchanged', async () => {
    const value = Buffer.from('{"type":"COMPLETED"}');
    const { notificationValue } = changeFormatFor({ changeFormat: 'json', avroRegistryUrl: null });
    await expect(
      notificationValue({ topic: 't', partition: 0, offset: '0', key: null, value }),
    ).resolves.toBe(value);
  });
});

describe('apicurioSchemaFetch', () => {
  let server: Server;
  let base: string;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/apis/registry/v2/ids/globalIds/7') res.writeHead(200).end('{"type":"long"}');
      else if (req.url === '/apis/registry/v2/ids/globalIds/8')
        res.writeHead(404).end('{"error_code":40403}');
      else res.writeHead(500).end('boom');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/apis/registry/v2/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('returns the schema text of a global id', async () => {
    await expect(apicurioSchemaFetch(base)(7n)).resolves.toBe('{"type":"long"}');
    expect(seen).toContain('/apis/registry/v2/ids/globalIds/7');
  });

  it('returns null for an id the registry does not have (the record is then dead-lettered)', async () => {
    await expect(apicurioSchemaFetch(base)(8n)).resolves.toBeNull();
  });

  it('throws when the registry fails (retried, never a dead letter)', async () => {
    await expect(apicurioSchemaFetch(base)(9n)).rejects.toThrow(/answered 500: boom/);
  });
});
