// ProductRepository on PostgreSQL SQL (PGlite or a server, through SqlDriver).
import type { CallScope } from '../../domain/call-scope.js';
import type { ProductRecord, ProductRepository } from '../../domain/ports.js';
import type { Product } from '../../domain/product.js';
import type { SqlExecutor } from './sql-driver.js';

type ProductRow = {
  id: string;
  name: string;
  currency_code: string;
  price_minor: bigint | string;
  create_time: Date;
  update_time: Date;
};

const COLUMNS = 'id, name, currency_code, price_minor, create_time, update_time';

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    name: row.name,
    price: { currencyCode: row.currency_code, amountMinor: BigInt(row.price_minor) },
    createTime: row.create_time,
    updateTime: row.update_time,
  };
}

export class PostgresProductRepository implements ProductRepository {
  constructor(private readonly sql: SqlExecutor) {}

  async get(id: string, scope?: CallScope): Promise<Product | undefined> {
    const rows = await this.sql.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = $1`, [id], scope);
    return rows[0] && toProduct(rows[0]);
  }

  async getMany(ids: readonly string[], scope?: CallScope): Promise<Product[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql.query<ProductRow>(`SELECT ${COLUMNS} FROM products WHERE id = ANY($1::text[])`, [ids], scope);
    return rows.map(toProduct);
  }

  async list({ afterId, limit }: { afterId: string; limit: number }, scope?: CallScope): Promise<Product[]> {
    const rows = await this.sql.query<ProductRow>(
      `SELECT ${COLUMNS} FROM products WHERE id > $1 ORDER BY id LIMIT $2`,
      [afterId, limit],
      scope,
    );
    return rows.map(toProduct);
  }

  async upsert(record: ProductRecord, now: Date, scope?: CallScope): Promise<Product> {
    const rows = await this.sql.query<ProductRow>(
      `INSERT INTO products (id, name, currency_code, price_minor, create_time, update_time)
       VALUES ($1, $2, $3, $4, $5, $5)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, currency_code = excluded.currency_code,
         price_minor = excluded.price_minor, update_time = excluded.update_time
       RETURNING ${COLUMNS}`,
      [record.id, record.name, record.price.currencyCode, record.price.amountMinor.toString(), now],
      scope,
    );
    return toProduct(rows[0] as ProductRow);
  }
}
