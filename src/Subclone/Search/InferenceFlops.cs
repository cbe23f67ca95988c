using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Search;

/// <summary>
/// Estimated inference FLOPs per token, read from the family's parameter table: two FLOPs (a multiply and an add)
/// per element of every block matrix and of the output head (a decoder's logits), plus attention itself, which
/// reads the context: per block, Q·Kᵀ and the weighted sum of V over <c>context</c> positions, 2 × 2 × heads ×
/// head_dim × context. Embedding look-ups, norms, biases and activations are left out (they are a few percent at
/// most). The count is for the last token of a <c>context</c>-long sequence, so it is the upper end of a run.
/// </summary>
public static class InferenceFlops
{
    /// <summary>FLOPs per token of a model of <paramref name="config"/> at <paramref name="context"/> tokens of context.</summary>
    public static double PerToken(ModelConfig config, int context)
    {
        var rows = config.Family.Parameters.Where(r => r.IsPresent(config) && r.InBlock && !r.PerExpert).ToList();
        double matrices = 0;
        for (int layer = 0; layer < config.Layers; layer++)
            foreach (var row in rows.Where(r => r.IsPresentAt(config, layer)))
                if (row.Shape(config) is [long rowsOut, long columns]) matrices += (double)rowsOut * columns;
        double head = config.Family.Kind == FamilyKind.Decoder ? (double)config.Vocab * config.Hidden : 0;
        double attention = 4.0 * config.Layers * config.Heads * config.HeadDim * context;
        return 2 * (matrices + head) + attention;
    }
}
