using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Tokenizers;

namespace Subclone.Cloning;

/// <summary>
/// Calibration batches and held-out evaluation batches from one text source, tokenised with the parent's
/// tokenizer. Documents are shuffled with the seed and split 90/10, so evaluation never sees calibration text.
/// </summary>
public sealed record CalibrationData(List<CalibrationBatch> Calibration, List<CalibrationBatch> HeldOut, string Source)
{
    public static CalibrationData Prepare(ModelSource parent, IReadOnlyList<string> paths, int samples, int length, long seed, int heldOutSamples = 16)
    {
        if (parent.Model.Config.Architecture == Models.Architecture.Vit)
            return PrepareImages(parent, paths, samples, seed, heldOutSamples);
        string source = paths.Count == 0 ? DefaultCorpus.Name : string.Join(",", paths);
        var documents = TextCorpus.Load(paths);
        var random = new Random((int)(seed ^ (seed >> 32)));
        documents = documents.OrderBy(_ => random.Next()).ToList();
        int heldOutCount = Math.Max(1, documents.Count / 10);
        var heldOutDocs = documents.GetRange(documents.Count - heldOutCount, heldOutCount);
        var calibrationDocs = documents.GetRange(0, documents.Count - heldOutCount);
        if (calibrationDocs.Count == 0) calibrationDocs = heldOutDocs;

        var tokenizer = parent.Tokenizer ?? throw new UserInputException($"{parent.Origin} has no tokenizer to read calibration text with");
        int length2 = Math.Min(length, parent.Model.Config.MaxPositions);
        if (parent.Model.Config.IsDecoder)
        {
            int needed = (samples + 1) * (length2 + 1) * 2;
            var calibTokens = CalibrationSampler.TokenStream(calibrationDocs, tokenizer, needed);
            var heldTokens = CalibrationSampler.TokenStream(heldOutDocs, tokenizer, (heldOutSamples + 1) * (length2 + 1) * 2);
            int heldLength = Math.Min(length2, heldTokens.Count - 1);
            return new CalibrationData(
                CalibrationSampler.DecoderWindows(calibTokens, samples, length2, 8, seed),
                CalibrationSampler.DecoderWindows(heldTokens, heldOutSamples, heldLength, 8, seed + 1),
                source);
        }
        if (tokenizer is not IEncoderTokenizer encoder)
            throw new UserInputException($"{parent.Origin}: the encoder's tokenizer cannot add [CLS]/[SEP]");
        return new CalibrationData(
            CalibrationSampler.EncoderSentences(calibrationDocs, encoder.EncodeForModel, samples, length2, 16, seed),
            CalibrationSampler.EncoderSentences(heldOutDocs, encoder.EncodeForModel, heldOutSamples, length2, 16, seed + 1),
            source);
    }

    /// <summary>Image models calibrate on images: an IDX images file (labels beside it), shuffled with the seed and
    /// split 90/10, the held-out part with labels for accuracy.</summary>
    static CalibrationData PrepareImages(ModelSource parent, IReadOnlyList<string> paths, int samples, long seed, int heldOutSamples)
    {
        if (paths.Count != 1 || !Data.Images.ImageFiles.IsIdxImages(paths[0]))
            throw new UserInputException($"{parent.Origin} is an image model: give --calib an IDX images file (e.g. t10k-images-idx3-ubyte.gz)");
        using var images = Data.Images.ImageDataset.LoadIdx(paths[0], Data.Images.ImageFiles.LabelsFor(paths[0]), Data.Images.ImageTransform.For(parent.Model.Config));
        var random = new Random((int)(seed ^ (seed >> 32)));
        var order = Enumerable.Range(0, images.Count).OrderBy(_ => random.Next()).ToList();
        int heldOut = Math.Min(heldOutSamples, Math.Max(1, images.Count / 10));
        var calibration = order.Take(Math.Min(samples, images.Count - heldOut)).ToList();
        var held = order.Skip(images.Count - heldOut).ToList();
        List<CalibrationBatch> Batches(List<int> indices) => indices.Chunk(32).Select(chunk =>
        {
            var batch = images.Batch(chunk);
            return new CalibrationBatch(batch.Pixels, null, batch.Labels);
        }).ToList();
        return new CalibrationData(Batches(calibration), Batches(held), paths[0]);
    }
}
