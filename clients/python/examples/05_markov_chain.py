"""A three-state Markov chain converging to its stationary law with a monotone KL divergence.

P = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]], started in state 0. The service returns the stationary
law, the evolution of the distribution, KL(p_t || pi) and total variation per step, the spectral gap and the
mean first passage times. We check pi P = pi and that KL never increases (the data-processing inequality).
"""

from __future__ import annotations

from _common import connect, parse_args, report

P = [[0.1, 0.4, 0.5], [0.3, 0.3, 0.4], [0.2, 0.5, 0.3]]


def main() -> None:
    args = parse_args(__doc__)
    steps = 20 if args.small else 50
    with connect(args) as client:
        analysis = client.analyze_markov_chain(P, initial=[1.0, 0.0, 0.0], steps=steps, states=["a", "b", "c"])
    pi = analysis.stationary
    residual = max(abs(sum(pi[i] * P[i][j] for i in range(3)) - pi[j]) for j in range(3))
    kl = [k for k in analysis.kl_to_stationary if k is not None]
    increases = sum(1 for a, b in zip(kl, kl[1:]) if b > a + 1e-12)
    print("stationary pi = " + ", ".join(f"{p:.6f}" for p in pi) + f"   (max |pi P - pi| = {residual:.2e})")
    print(f"irreducible {analysis.irreducible}, aperiodic {analysis.aperiodic}, spectral gap {analysis.spectral_gap:.4f}, "
          f"relaxation time {analysis.relaxation_time:.3f} steps")
    print("KL(p_t || pi): " + " ".join(f"{k:.2e}" for k in kl[:8]) + " ...")
    print(f"KL increases: {increases} times over {len(kl)} steps")
    report({"stationary": pi, "stationarity_residual": residual, "kl_to_stationary": kl,
            "kl_increases": increases, "total_variation": analysis.total_variation,
            "spectral_gap": analysis.spectral_gap, "irreducible": analysis.irreducible,
            "aperiodic": analysis.aperiodic, "mean_first_passage": analysis.mean_first_passage})


if __name__ == "__main__":
    main()
