namespace Subclone.Models.Families;

/// <summary>What a family's model computes, which decides the commands and data that fit it.</summary>
public enum FamilyKind
{
    /// <summary>Predicts the next token: logits [B, T, vocab].</summary>
    Decoder,
    /// <summary>A text encoder: the last hidden state [B, T, D] (sentence embeddings).</summary>
    Encoder,
    /// <summary>Classifies images: pixel values in, class logits [B, labels] out.</summary>
    ImageClassifier,
}
