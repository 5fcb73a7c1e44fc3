extension MetadataImage {
    /// `QuotaEntity` and `ScramCredential` under names a module that has types of the same names can reach:
    /// `MetadataImage.QuotaEntity` there reads as a member of this struct, not of the module.
    public typealias ClientQuotaEntity = QuotaEntity
    public typealias Credential = ScramCredential
}
