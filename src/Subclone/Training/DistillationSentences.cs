using Subclone.Data;
using Subclone.Data.Tokenizers;

namespace Subclone.Training;

/// <summary>
/// The sentences an encoder child is distilled on and validated with: a seeded shuffle of the documents, the last
/// tenth (at least one) held out, each side cut into batches of <see cref="TrainingOptions.BatchSize"/> sentences.
/// One split for <c>compare</c> and <c>search</c>, so both measure a child on the same held-out sentences.
/// </summary>
public static class DistillationSentences
{
    /// <summary>Training batches (enough for the run's steps, at most 512 batches' worth) and validation batches
    /// (<see cref="TrainingOptions.EvalBatches"/>), sentences at most <paramref name="maxPositions"/> tokens long.
    /// A single document is used for both sides.</summary>
    public static (List<ModelBatch> Train, List<ModelBatch> Validation) Split(IReadOnlyList<string> documents,
        IEncoderTokenizer tokenizer, int maxPositions, TrainingOptions options)
    {
        var random = new Random((int)options.Seed);
        var shuffled = documents.OrderBy(_ => random.Next()).ToList();
        int heldOut = Math.Max(1, shuffled.Count / 10);
        var validationDocs = shuffled.GetRange(shuffled.Count - heldOut, heldOut);
        var trainDocs = shuffled.Count > heldOut ? shuffled.GetRange(0, shuffled.Count - heldOut) : validationDocs;
        int length = Math.Min(options.SequenceLength, maxPositions);
        var train = CalibrationSampler.EncoderSentences(trainDocs, tokenizer.EncodeForModel,
            Math.Min(options.Steps, 512) * options.BatchSize, length, options.BatchSize, options.Seed);
        var validation = CalibrationSampler.EncoderSentences(validationDocs, tokenizer.EncodeForModel,
            options.EvalBatches * options.BatchSize, length, options.BatchSize, options.Seed + 1);
        return (train, validation);
    }
}
