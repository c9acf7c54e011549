// LessonEngine module
