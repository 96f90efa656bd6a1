// Program-side types derived from the engine's tables: a resource's Args from INPUTS
// (plan/inputs.ts), its output properties from the state types and output lists
// (plan/outputs.ts). Nothing here is written twice.
import type * as pulumi from "@pulumi/pulumi";
import type { InputValues, ResourceKind } from "../plan/inputs";

/** A program may pass any value as an Input (an Output of another resource included). */
type ProgramInput<T> = [T] extends [(infer E)[]]
  ? pulumi.Input<pulumi.Input<E>[]>
  : [T] extends [Record<string, infer V>]
    ? pulumi.Input<Record<string, pulumi.Input<V>>>
    : pulumi.Input<T>;

/** The Args of a resource: every input INPUTS gives it, required ones required. */
export type ProgramArgs<R extends ResourceKind> = {
  [K in keyof InputValues<R>]: ProgramInput<NonNullable<InputValues<R>[K]>>;
};

/** Output properties named by `K`, typed from the engine's state `S`. */
export type OutputProperties<S, K extends keyof S> = {
  readonly [P in K]-?: pulumi.Output<S[P]>;
};
