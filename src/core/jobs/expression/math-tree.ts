/**
 * The checked form of an expression: the only shapes the evaluator knows. jsep's tree is converted
 * into this one (see parse.ts), so anything jsep can parse but we did not whitelist never reaches
 * evaluation.
 */

export const BINARY_OPERATORS = ['+', '-', '*', '/', '%', '^', '**'] as const;
export type BinaryOperator = (typeof BINARY_OPERATORS)[number];

export const UNARY_OPERATORS = ['-', '+'] as const;
export type UnaryOperator = (typeof UNARY_OPERATORS)[number];

export type MathNode =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'unary'; readonly operator: UnaryOperator; readonly operand: MathNode }
  | {
      readonly kind: 'binary';
      readonly operator: BinaryOperator;
      readonly left: MathNode;
      readonly right: MathNode;
    }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly MathNode[] };
