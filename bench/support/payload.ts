/** A typical webhook body (~300 bytes of data), used by every scenario and by the raw baseline. */
export function samplePayload(n: number): Record<string, unknown> {
  return {
    invoice: `in_${n.toString(36).padStart(10, '0')}`,
    customer: { id: `cus_${(n * 7919).toString(36)}`, email: `customer${n % 1000}@example.com`, country: 'DE' },
    amount: 4200 + (n % 100),
    currency: 'eur',
    status: 'paid',
    lines: [
      { sku: 'plan-pro-monthly', quantity: 1, amount: 3900 },
      { sku: 'addon-seats', quantity: 3, amount: 300 + (n % 100) },
    ],
    metadata: { source: 'hookflow-bench', attempt: 1 },
  };
}
